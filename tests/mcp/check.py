"""Drives the MCP endpoint of an agency-rs server with the official MCP Python SDK (`mcp`).

    python3 tests/mcp/check.py URL TOKEN

URL is the server's `/mcp`. The model API behind the server is the fake OpenAI server of
agency-testing with its reference transcripts: `call tool add with {...}` makes the agency call
its `add` tool, and its answer is then `Tool add returned: <sum>`. Prints one JSON object per
check; exits non-zero on the first failure.
"""

import json
import sys

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def report(check, **fields):
    print(json.dumps({"check": check, **fields}), flush=True)


def expect(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr, flush=True)
        sys.exit(1)


def text_of(result):
    return "".join(block.text for block in result.content if block.type == "text")


async def main(url, token):
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, streamable_http_client(url, http_client=http) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            expect(init.server_info.name == "agency-rs", f"server info: {init.server_info}")
            report("initialize", protocol=str(init.protocol_version))

            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            expect({"add", "Address", "Demo"} <= tools.keys(), f"tools: {list(tools)}")
            add_schema = tools["add"].input_schema
            expect(set(add_schema["required"]) == {"a", "b"}, f"add's schema: {add_schema}")
            expect(tools["Demo"].input_schema["required"] == ["message"], "the agency's schema")
            report("list_tools", tools=sorted(tools))

            result = await session.call_tool("add", {"a": 2, "b": 40})
            expect(not result.is_error and text_of(result) == "42", f"add: {result}")
            report("call_tool", text=text_of(result))

            result = await session.call_tool("add", {"a": "two"})
            expect(result.is_error, f"invalid arguments: {result}")
            expect("b" in text_of(result), f"the error names the missing field: {result}")
            report("invalid_arguments", text=text_of(result))

            progress = []

            async def on_progress(value, total, message):
                progress.append(message)

            result = await session.call_tool(
                "Demo",
                {"message": 'call tool add with {"a": 2, "b": 40}'},
                progress_callback=on_progress,
            )
            expect(not result.is_error, f"the agency: {result}")
            expect(text_of(result) == "Tool add returned: 42", f"the agency's answer: {result}")
            expect("Assistant calls add" in progress, f"progress: {progress}")
            report("call_agency", text=text_of(result), progress=progress)

            result = await session.call_tool("Demo", {"message": ""})
            expect(result.is_error, f"an empty message: {result}")
            report("agency_invalid", text=text_of(result))


anyio.run(main, sys.argv[1], sys.argv[2])
