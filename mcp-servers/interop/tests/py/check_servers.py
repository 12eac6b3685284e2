"""Drives trailmesh MCP servers with the official MCP Python SDK client.

For every server named on the command line, over stdio and Streamable HTTP, in both protocol
eras (2025-11-25 via mode="legacy", 2026-07-28): lists tools, checks the schemas are portable,
calls every tool with valid arguments and validates structuredContent against the tool's
outputSchema (jsonschema, Draft 2020-12), calls tools with bad arguments and expects an
isError result that says what to fix, reads the resources and gets the prompts. Then HTTP
hardening: a foreign Origin gets 403, an unknown Mcp-Session-Id 404, and with --token a
request without it gets 401 with an absolute resource_metadata URL.

Exit status 0 when everything holds; every failure is printed.
"""

import argparse
import asyncio
import datetime
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse

import httpx2 as httpx
import jsonschema
from mcp import Client, StdioServerParameters

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"  FAIL {what}", flush=True)
    return cond


def get(obj, *names):
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return None


def text_of(result):
    out = []
    for block in get(result, "content") or []:
        t = get(block, "text")
        if t:
            out.append(t)
    return "\n".join(out)


# ---- what to call, per server ---------------------------------------------------------------
# Each entry: tool -> list of (arguments or a function of the context, expected) where
# expected is "ok" or ("error", [words the message must contain]).


def camera_inventory_cases(ctx):
    new_id = ctx["new_id"]
    return {
        "list_cameras": [
            ({}, "ok"),
            ({"limit": 2}, "ok"),
            ({"near": {"latitude": ctx["lat"], "longitude": ctx["lon"], "radiusKm": 50}}, "ok"),
            ({"limit": 0}, ("error", ["limit"])),
            ({"limit": 100000}, ("error", ["limit", "500"])),
            ({"colour": "red"}, ("error", ["colour"])),
        ],
        "camera_details": [
            ({"id": ctx["camera_id"]}, "ok"),
            ({"id": "NO-SUCH-CAMERA"}, ("error", ["NO-SUCH-CAMERA"])),
            ({}, ("error", ["id"])),
            ({"id": ctx["camera_id"], "asOf": "yesterday"}, ("error", ["asOf", "ISO 8601"])),
        ],
        "add_camera": [
            ({"id": new_id, "name": "MCP test camera", "latitude": 45.1, "longitude": -110.2, "site": "Test site"}, "ok"),
            ({"id": new_id + "-b", "name": "bad", "latitude": 123.0, "longitude": 0.0}, ("error", ["latitude"])),
        ],
        "update_camera": [
            ({"id": new_id, "batteryPct": 76.5, "notes": "checked by the MCP interop test"}, "ok"),
            ({"id": "NO-SUCH-CAMERA", "name": "x"}, ("error", ["NO-SUCH-CAMERA"])),
        ],
        "retire_camera": [
            ({"id": new_id, "reason": "end of the interop test"}, "ok"),
        ],
        "camera_coverage": [
            ({}, "ok"),
            ({"includeRetired": True}, "ok"),
        ],
    }


def camera_inventory_prompts(ctx):
    return {
        "weekly_site_report": {"site": ctx.get("site") or "North Ridge"},
        "species_profile": {"species": "white-tailed deer"},
    }


async def camera_inventory_context(client, tag):
    listed = await client.call_tool("list_cameras", {"limit": 5})
    cams = get(listed, "structured_content", "structuredContent")["cameras"]
    first = cams[0]
    return {
        "camera_id": first["id"],
        "site": first.get("site"),
        "lat": first.get("latitude", 0.0),
        "lon": first.get("longitude", 0.0),
        "new_id": f"MCPTEST-{tag}-{RUN}",
        "template_args": {"id": first["id"]},
    }


def study_facts(data_dir):
    """Species, an event, an individual and the date span of the demo study, read from its
    SQLite file (the tests seed it; the tools are what is under test, not the reads here)."""
    db = sqlite3.connect(os.path.join(data_dir, "trailmesh.db"))
    top = [r[0] for r in db.execute(
        "SELECT scientific_name FROM events WHERE scientific_name IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 2")]
    event = db.execute(
        "SELECT id FROM events WHERE scientific_name = ? ORDER BY start_ms LIMIT 1", (top[0],)).fetchone()[0]
    lo, hi = db.execute("SELECT min(start_ms), max(start_ms) FROM events").fetchone()
    day = lambda ms: datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).date()
    db.close()
    return {
        "species": top[0],
        "species_b": top[1],
        "event_id": event,
        "from": day(lo).isoformat(),
        "to": (day(hi) + datetime.timedelta(days=1)).isoformat(),
    }


FACTS = {}
# Distinguishes the cameras one run adds, so a database can be reused.
RUN = format(int(time.time() * 1000) % 0xFFFFFF, "x")


async def event_analyzer_context(client, tag):
    f = FACTS
    return {**f, "template_args": {"id": f["event_id"]}}


def event_analyzer_cases(c):
    sp, d0, d1 = c["species"], c["from"], c["to"]
    return {
        "find_events": [
            ({}, "ok"),
            ({"species": sp, "limit": 5}, "ok"),
            ({"from": d0, "to": d1, "minCount": 2}, "ok"),
            ({"limit": 0}, ("error", ["limit"])),
            ({"from": "yesterday"}, ("error", ["from", "ISO 8601"])),
            ({"behaviour": "dancing"}, ("error", ["dancing"])),
        ],
        "event_details": [
            ({"id": c["event_id"]}, "ok"),
            ({"id": "no-such-event"}, ("error", ["no-such-event"])),
        ],
        "describe_event": [
            ({"id": c["event_id"]}, "ok"),
            ({}, ("error", ["id"])),
        ],
        "summarize_period": [
            ({"from": d0, "to": d1}, "ok"),
            ({"from": d0, "to": d1, "independenceMinutes": 60}, "ok"),
            ({"to": d1}, ("error", ["from"])),
        ],
        "independent_detections": [
            ({}, "ok"),
            ({"intervalMinutes": 60, "species": sp}, "ok"),
            ({"limit": 9999}, ("error", ["limit"])),
        ],
    }


def event_analyzer_prompts(c):
    return {"species_profile": {"species": c["species"]}}


async def trail_builder_context(client, tag):
    f = FACTS
    return {**f, "template_args": {"species": urllib.parse.quote(f["species"])}}


def trail_builder_cases(c):
    sp, d0, d1 = c["species"], c["from"], c["to"]
    return {
        "trails": [
            ({"species": sp, "from": d0, "to": d1}, "ok"),
            ({"species": sp, "limit": 2, "maxGapHours": 6}, "ok"),
            ({}, ("error", ["species"])),
        ],
        "transition_graph": [({"species": sp}, "ok")],
        "corridors": [({"species": sp}, "ok")],
        "daily_routes": [({"species": sp}, "ok")],
        "sightings": [
            ({"species": sp}, "ok"),
            ({}, ("error", ["species"])),
        ],
        "net_movement": [({"species": sp, "from": d0, "to": d1}, "ok")],
        "timespan_activity": [
            ({"from": d0, "to": d1}, "ok"),
            ({"from": d0, "to": d1, "bucket": "hour"}, "ok"),
            ({"from": d0}, ("error", ["to"])),
        ],
        "trails_geojson": [({"species": sp, "limit": 3}, "ok")],
    }


def trail_builder_prompts(c):
    return {"movement_report": {"species": c["species"]}}


async def behavior_analytics_context(client, tag):
    return dict(FACTS)


def behavior_analytics_cases(c):
    sp, sp2 = c["species"], c["species_b"]
    return {
        "behaviours": [
            ({"species": sp, "limit": 5}, "ok"),
            ({"eventIds": [c["event_id"]]}, "ok"),
        ],
        "effort": [({}, "ok")],
        "rai": [
            ({}, "ok"),
            ({"species": [sp], "from": c["from"], "to": c["to"]}, "ok"),
            ({"from": "yesterday"}, ("error", ["from"])),
        ],
        "occupancy_naive": [
            ({"species": sp}, "ok"),
            ({}, ("error", ["species"])),
        ],
        "detection_history": [({"species": sp, "occasionDays": 1}, "ok")],
        "diel_activity": [({"species": sp}, "ok")],
        "activity_overlap": [({"species_a": sp, "species_b": sp2, "bootstrap": 50, "seed": 1}, "ok")],
        "occupancy": [({"species": sp, "occasionDays": 1}, "ok")],
        "migration": [({"species": sp}, "ok")],
    }


def behavior_analytics_prompts(c):
    return {"species_profile": {"species": c["species"]}}


HAS_RESOURCES = {"camera-inventory", "event-analyzer", "trail-builder"}

SERVERS = {
    "camera-inventory": (camera_inventory_context, camera_inventory_cases, camera_inventory_prompts),
    "event-analyzer": (event_analyzer_context, event_analyzer_cases, event_analyzer_prompts),
    "trail-builder": (trail_builder_context, trail_builder_cases, trail_builder_prompts),
    "behavior-analytics": (behavior_analytics_context, behavior_analytics_cases, behavior_analytics_prompts),
}


# ---- the checks -----------------------------------------------------------------------------


def portable_findings(schema, path="#"):
    found = []
    if isinstance(schema, dict):
        for key in ("$ref", "$defs", "definitions", "$schema"):
            if key in schema:
                found.append(f"{path}: {key}")
        t = schema.get("type")
        if isinstance(t, list) and "null" in t:
            found.append(f"{path}: nullable type {t}")
        for k, v in schema.items():
            if k not in ("enum", "const", "default", "examples", "required"):
                found.extend(portable_findings(v, f"{path}/{k}"))
    elif isinstance(schema, list):
        for i, v in enumerate(schema):
            found.extend(portable_findings(v, f"{path}/{i}"))
    return found


async def exercise(client, server, label):
    make_ctx, make_cases, make_prompts = SERVERS[server]
    tools = get(await client.list_tools(), "tools")
    names = [get(t, "name") for t in tools]
    check(names == sorted(names), f"{label}: tools listed in a deterministic (sorted) order: {names}")
    by_name = {get(t, "name"): t for t in tools}
    for t in tools:
        name = get(t, "name")
        check(bool(get(t, "description")), f"{label}: {name} has a description")
        ins = get(t, "input_schema", "inputSchema")
        outs = get(t, "output_schema", "outputSchema")
        check(outs is not None, f"{label}: {name} has an outputSchema")
        for kind, schema in (("input", ins), ("output", outs)):
            if schema is None:
                continue
            check(schema.get("type") == "object", f"{label}: {name} {kind}Schema has an object root")
            f = portable_findings(schema)
            check(not f, f"{label}: {name} {kind}Schema portable: {f}")
            jsonschema.Draft202012Validator.check_schema(schema)
        for pname, p in (ins or {}).get("properties", {}).items():
            check(bool(p.get("description")), f"{label}: {name}.{pname} has a description")

    tag = re.sub(r"[^A-Za-z0-9]", "", label)[-20:].upper()
    ctx = await make_ctx(client, tag)
    cases = make_cases(ctx)
    check(set(cases) == set(names), f"{label}: test cases cover exactly the listed tools: {sorted(set(names) ^ set(cases))}")
    calls = 0
    for tool, tool_cases in cases.items():
        if tool not in by_name:
            continue
        t = by_name[tool]
        outs = get(t, "output_schema", "outputSchema")
        ins = get(t, "input_schema", "inputSchema")
        for args, expected in tool_cases:
            result = await client.call_tool(tool, args)
            calls += 1
            is_error = bool(get(result, "is_error", "isError"))
            if expected == "ok":
                try:
                    jsonschema.validate(args, ins)
                except jsonschema.ValidationError as e:
                    check(False, f"{label}: test arguments {args} fit {tool}'s inputSchema: {e.message}")
                    continue
                if not check(not is_error, f"{label}: {tool}({args}) succeeds: {text_of(result)[:300]}"):
                    continue
                sc = get(result, "structured_content", "structuredContent")
                if check(sc is not None, f"{label}: {tool} returns structuredContent"):
                    try:
                        jsonschema.Draft202012Validator(outs).validate(sc)
                    except jsonschema.ValidationError as e:
                        check(False, f"{label}: {tool} structuredContent validates: {e.message} at {list(e.absolute_path)}")
                    try:
                        check(json.loads(text_of(result)) == sc, f"{label}: {tool} text block is the same JSON")
                    except ValueError:
                        check(False, f"{label}: {tool} text block is JSON")
            else:
                words = expected[1]
                msg = text_of(result)
                check(is_error, f"{label}: {tool}({args}) is an isError result, got {msg[:200]}")
                for w in words:
                    check(w.lower() in msg.lower(), f"{label}: {tool}({args}) error message mentions '{w}': {msg[:300]}")

    has_resources = server in HAS_RESOURCES
    resources = (get(await client.list_resources(), "resources") or []) if has_resources else []
    for r in resources:
        uri = str(get(r, "uri"))
        contents = get(await client.read_resource(uri), "contents")
        check(bool(contents), f"{label}: resource {uri} has contents")
        for c in contents or []:
            body = get(c, "text")
            if body and (get(c, "mime_type", "mimeType") or "").endswith("json"):
                json.loads(body)
    templates = (get(await client.list_resource_templates(), "resource_templates", "resourceTemplates") or []) if has_resources else []
    for t in templates:
        uri = get(t, "uri_template", "uriTemplate")
        for k, v in ctx.get("template_args", {}).items():
            uri = uri.replace("{" + k + "}", v)
        contents = get(await client.read_resource(uri), "contents")
        check(bool(contents), f"{label}: template resource {uri} has contents")
    prompt_args = make_prompts(ctx)
    prompts = get(await client.list_prompts(), "prompts") or []
    check({get(p, "name") for p in prompts} == set(prompt_args), f"{label}: prompts {[get(p, 'name') for p in prompts]}")
    for p in prompts:
        name = get(p, "name")
        got = await client.get_prompt(name, prompt_args.get(name, {}))
        msgs = get(got, "messages")
        check(bool(msgs), f"{label}: prompt {name} has messages")
    print(f"  ok {label}: {len(tools)} tools, {calls} calls, {len(resources)} resources, {len(templates)} templates, {len(prompts)} prompts", flush=True)


def describe(e):
    """An exception, with the leaves of an ExceptionGroup."""
    if isinstance(e, BaseExceptionGroup):
        return "; ".join(describe(x) for x in e.exceptions)
    return f"{type(e).__name__}: {e}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_http(bin_, data_dir, server, token=None):
    port = free_port()
    args = [bin_, "--data-dir", data_dir, "mcp", server, "--http", f"127.0.0.1:{port}"]
    if token:
        args += ["--token", token]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/mcp"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read()}")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start listening")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
        check(proc.returncode == 0, f"server stops cleanly on SIGTERM (exit {proc.returncode})")
    except subprocess.TimeoutExpired:
        proc.kill()
        check(False, "server stops within 10 s of SIGTERM")


INIT = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def http_hardening(bin_, data_dir, server):
    proc, url = start_http(bin_, data_dir, server)
    try:
        r = httpx.post(url, json=INIT, headers={**HEADERS, "Origin": "http://evil.example"})
        check(r.status_code == 403, f"{server}: foreign Origin gets 403, got {r.status_code}")
        r = httpx.post(url, json=INIT, headers={**HEADERS, "Origin": "http://localhost:6274"})
        check(r.status_code == 200, f"{server}: loopback Origin accepted, got {r.status_code}")
        r = httpx.post(
            url,
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            headers={**HEADERS, "Mcp-Session-Id": "no-such-session", "MCP-Protocol-Version": "2025-11-25"},
        )
        check(r.status_code == 404, f"{server}: unknown Mcp-Session-Id gets 404, got {r.status_code}")
    finally:
        stop(proc)
    proc, url = start_http(bin_, data_dir, server, token="s3cret-token")
    try:
        r = httpx.post(url, json=INIT, headers=HEADERS)
        check(r.status_code == 401, f"{server}: no token gets 401, got {r.status_code}")
        challenge = r.headers.get("www-authenticate", "")
        m = re.search(r'resource_metadata="([^"]+)"', challenge)
        check(bool(m) and m.group(1).startswith("http://127.0.0.1:"), f"{server}: absolute resource_metadata in {challenge!r}")
        if m:
            meta = httpx.get(m.group(1)).json()
            check(meta.get("resource") == url, f"{server}: metadata resource is {url}: {meta}")
        base = url.rsplit("/mcp", 1)[0]
        check(httpx.get(base + "/.well-known/oauth-protected-resource").status_code == 200, f"{server}: root PRM served")
        r = httpx.post(url, json=INIT, headers={**HEADERS, "Authorization": "Bearer wrong"})
        check(r.status_code == 401, f"{server}: wrong token gets 401, got {r.status_code}")
        r = httpx.post(url, json=INIT, headers={**HEADERS, "Authorization": "Bearer s3cret-token"})
        check(r.status_code == 200, f"{server}: right token accepted, got {r.status_code}")
    finally:
        stop(proc)
    r = subprocess.run([bin_, "--data-dir", data_dir, "mcp", server, "--http", "0.0.0.0:0"], capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 and "--token" in r.stderr, f"{server}: non-loopback bind without a token refused: {r.stderr.strip()}")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trailmesh", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("servers", nargs="+")
    a = ap.parse_args()
    FACTS.update(study_facts(a.data_dir))
    for server in a.servers:
        if server not in SERVERS:
            check(False, f"no test cases for server {server}")
            continue
        for mode in ("legacy", "2026-07-28"):
            params = StdioServerParameters(command=a.trailmesh, args=["--data-dir", a.data_dir, "mcp", server, "--stdio"])
            label = f"{server} stdio {mode}"
            try:
                async with Client(params, mode=mode) as c:
                    await exercise(c, server, label)
            except Exception as e:  # noqa: BLE001 - report and go on
                check(False, f"{label}: {describe(e)}")
            proc, url = start_http(a.trailmesh, a.data_dir, server)
            label = f"{server} http {mode}"
            try:
                async with Client(url, mode=mode) as c:
                    await exercise(c, server, label)
            except Exception as e:  # noqa: BLE001
                check(False, f"{label}: {describe(e)}")
            finally:
                stop(proc)
        http_hardening(a.trailmesh, a.data_dir, server)
    if FAILURES:
        print(f"{len(FAILURES)} failures", flush=True)
        sys.exit(1)
    print("all MCP interop checks passed", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
