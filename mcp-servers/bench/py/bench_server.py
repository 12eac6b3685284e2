"""The official MCP Python SDK's MCPServer answering the benchmark's query: the first page of
cameras (id, name, site, position, status) from the same SQLite database, over Streamable HTTP.

    python bench_server.py --db DATA_DIR/trailmesh.db --port 8766
"""

import argparse
import sqlite3

from mcp.server import MCPServer

ap = argparse.ArgumentParser()
ap.add_argument("--db", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--stateless", action="store_true")
args = ap.parse_args()

db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, check_same_thread=False)
server = MCPServer("python-bench", log_level="WARNING")


@server.tool()
def list_cameras(limit: int = 50) -> dict:
    """List cameras (first page)."""
    rows = db.execute(
        "SELECT id, name, site, latitude, longitude, status FROM cameras ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    cams = [
        {"id": r[0], "name": r[1], "site": r[2], "latitude": r[3], "longitude": r[4], "status": r[5]} for r in rows
    ]
    return {"cameras": cams, "total": len(cams)}


server.run("streamable-http", port=args.port, json_response=True, stateless_http=args.stateless)
