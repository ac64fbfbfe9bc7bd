"""An MCP tool result as the trace shows it and the model reads it: text, images, structured JSON.

Pure: a ``CallToolResult`` (as the SDK's plain ``model_dump``) in, nbformat outputs out. Text goes
to the model capped like code output (``core/output_text``); images become ``display_data`` mime
bundles in the outputs (the trace shows them; what a model reads of them is output_text's rule);
structured content is shown as JSON, once, when the text does not already say the same.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

SHOWN_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif"})  # what the trace's <img> renders


def _stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}  # an error result is marked by the call's status


def _json_output(value: Any) -> dict[str, Any]:
    pretty = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return {"output_type": "display_data", "data": {"application/json": value, "text/plain": pretty}, "metadata": {}}


def _block_text(block: Mapping[str, Any]) -> str | None:
    """What a non-image content block says as text (None for images)."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "resource":
        resource = block.get("resource") or {}
        uri = resource.get("uri", "")
        if "text" in resource:
            return f"[resource {uri}]\n{resource['text']}"
        size = len(base64.b64decode(str(resource.get("blob", "")), validate=False)) if resource.get("blob") else 0
        return f"[resource {uri} ({resource.get('mime_type') or 'binary'}), {size:,} bytes, not shown]"
    if kind == "resource_link":
        return f"[resource link: {block.get('name') or ''} {block.get('uri', '')}]".replace("  ", " ")
    if kind == "audio":
        return f"[audio ({block.get('mime_type') or 'unknown type'}) returned, not shown]"
    if kind == "image" and block.get("mime_type") not in SHOWN_IMAGES:
        return f"[image ({block.get('mime_type') or 'unknown type'}) returned, not shown]"
    return None if kind == "image" else f"[{kind} content, not shown]"


def _wrapper(structured: Any) -> bool:
    """``{"result": 5}``, ``{"content": "…"}``: one value in an object, as servers wrap a scalar or a text."""
    return isinstance(structured, dict) and len(structured) == 1


def _says_the_same(texts: list[str], structured: Any) -> bool:
    """Whether the text content is just the structured content written out (most servers send both)."""
    joined = "\n".join(texts).strip()
    try:
        parsed: Any = json.loads(joined)
    except ValueError:
        parsed = joined
    inner = next(iter(structured.values())) if _wrapper(structured) else structured
    return parsed in (structured, inner) or (isinstance(inner, str) and inner.strip() == joined)


def result_outputs(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The outputs of one call, in the order the server sent its content; structured JSON last."""
    outputs: list[dict[str, Any]] = []
    texts: list[str] = []
    for block in result.get("content") or []:
        text = _block_text(block)
        if text is not None:
            texts.append(text)
            if outputs and outputs[-1].get("output_type") == "stream":
                outputs[-1]["text"] += "\n" + text
            else:
                outputs.append(_stream(text))
            continue
        mime = str(block.get("mime_type"))
        data = {mime: str(block.get("data", "")), "text/plain": f"[image {mime} from the tool]"}
        outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
    structured = result.get("structured_content")
    if structured is not None:
        if texts and _says_the_same(texts, structured):
            if not _wrapper(structured):
                # The JSON view replaces the text that only repeats it; a wrapped value stays as text.
                outputs = [o for o in outputs if o.get("output_type") != "stream"]
                outputs.append(_json_output(structured))
        else:
            outputs.append(_json_output(structured))
    for output in outputs:
        if output.get("output_type") == "stream" and not output["text"].endswith("\n"):
            output["text"] += "\n"
    return outputs
