// ESLint as the JupyterLab extension template sets it up (jupyterlab/extension-template),
// for the labextension's sources and tests, and for the live view's plain ES module
// (k2nb/ui/widget.js), which anywidget loads as it is.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import jupyterPlugin from '@jupyter/eslint-plugin';

export default defineConfig([
  {
    ignores: [
      'node_modules',
      '.venv',
      'build',
      'labextension/lib',
      'k2nb/labextension',
      '**/*.d.ts',
      // Built or vendored JavaScript; the one hand-written module is linted.
      '**/*.js',
      '!k2nb/ui/widget.js'
    ]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  jupyterPlugin.configs.recommended,
  {
    rules: {
      // k2nb's views are English only, like the kernel's text they show beside.
      'jupyter/no-untranslated-string': 'off',
      // activate() registers every handler at once, and the extension is one small chunk.
      'jupyter/prefer-lazy-imports': 'off',
      'jupyter/require-disposable-ownership': [
        'warn',
        // Toolbar.insertAfter takes the widget like insertItem (a default) does.
        { ownershipFunctionNames: ['insertAfter'] }
      ]
    }
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      globals: {
        ...globals.browser,
        ...globals.es2015,
        ...globals.node
      },
      parserOptions: {
        project: ['tsconfig.json', 'labextension/test/tsconfig.json'],
        sourceType: 'module'
      }
    },
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: {
            regex: '^I[A-Z]',
            match: true
          }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    files: ['k2nb/ui/widget.js'],
    languageOptions: {
      globals: globals.browser,
      sourceType: 'module'
    },
    rules: {
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  prettierRecommended
]);
