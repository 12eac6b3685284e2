"""An RTSP camera stand-in for the camera-gateway tests, on GStreamer's RTSP server (an
independent RTSP stack, from Debian: gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good
and -bad, python3-gi).

    rtsp_server.py CLIP [--port N] [--path /cam] [--user U --password P] [--loop]

Serves CLIP (H.264 in MPEG-TS, e.g. from whip_peer.py clip) at rtsp://127.0.0.1:PORT/PATH,
its own H.264 packets at their own pace (no re-encoding), and prints one JSON line
{"step": "serving", "url": ..., "port": N} once it listens. Each client that connects gets
the clip from its start; --loop plays it forever. With --user/--password the server asks
for Digest authentication.
"""

import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--loop", action="store_true")
    a = ap.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))
    factory = GstRtspServer.RTSPMediaFactory()
    # multifilesrc loops the file; filesrc plays it once (then EOS ends the client's stream).
    src = f"multifilesrc location={a.clip} loop=true" if a.loop else f"filesrc location={a.clip}"
    factory.set_launch(f"( {src} ! tsparse set-timestamps=true ! tsdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )")
    factory.set_shared(False)
    if a.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, a.user)
        # Digest, as IP cameras ask for (the password never crosses the wire).
        auth.add_digest(a.user, a.password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        server.set_auth(auth)
        role = f"{a.user}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        factory.add_role_from_structure(Gst.Structure.from_string(role)[0])
    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        print(json.dumps({"step": "failed", "error": "cannot listen"}), flush=True)
        sys.exit(2)
    port = server.get_bound_port()
    print(json.dumps({"step": "serving", "url": f"rtsp://127.0.0.1:{port}{a.path}", "port": port}), flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
