/**
 * The k2nb version, sent to the kernel in the comm's `hello` message.
 *
 * Kept equal to `version` in package.json and to k2nb/_version.py;
 * tests/integration/test_labextension.py checks that the three agree.
 */
export const VERSION = '0.1.0';
