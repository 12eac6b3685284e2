"""Edge-camera stand-ins for the camera-gateway tests, on aiortc (an independent WebRTC stack).

    whip_peer.py clip OUT.ts --fixtures DIR [--still S] [--cross S] [--after S] [--fps N] [--profile P]
        Makes a clip: the grey horse of horses.jpg walking left to right across grass.png
        (S seconds of empty grass, the crossing, S seconds of empty grass), H.264 in MPEG-TS
        (--profile baseline, or main/high with B-frames),
        or raw YUV4MPEG2 when OUT ends in .y4m (Chromium's fake camera).
    whip_peer.py publish URL TOKEN CLIP [--keep] [--loop] [--copy] [--codec h264|vp8]
        Publishes CLIP over WHIP (POST offer, 201 + Location + answer), prints one JSON line
        per step ({"step": "published", "location": ..., "t": epoch s}, then "ended" and
        "deleted"); DELETEs the session when the clip ends unless --keep (then it waits to be
        killed). --loop plays the clip forever; --copy sends its packets without re-encoding.
    whip_peer.py view URL SECONDS [--codec h264|vp8]
        Watches over WHEP for SECONDS and prints {"frames": n, "width": w, "height": h}.

Only loopback is used: aioice's host-address lookup is replaced by 127.0.0.1.
"""

import argparse
import asyncio
import json
import sys
import time

import aioice.ice
import aiohttp
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]


def say(**fields):
    print(json.dumps(fields), flush=True)


def make_clip(out, fixtures, still, cross, after, fps, profile="baseline"):
    import av
    from PIL import Image

    grass = Image.open(f"{fixtures}/grass.png").convert("RGB").resize((640, 480), Image.BILINEAR)
    horse = Image.open(f"{fixtures}/horses.jpg").convert("RGB").crop((420, 208, 600, 351))
    n_still, n_cross, n_after = int(still * fps), int(cross * fps), int(after * fps)
    total = n_still + n_cross + n_after

    def frames():
        for i in range(total):
            frame = grass.copy()
            if n_still <= i < n_still + n_cross:
                k = i - n_still
                x = 20 + k * 400 // max(n_cross - 1, 1)
                frame.paste(horse, (x, 200))
            yield av.VideoFrame.from_image(frame)

    if out.endswith(".y4m"):
        # Raw YUV 4:2:0 for Chromium's fake camera (--use-file-for-fake-video-capture).
        with open(out, "wb") as f:
            f.write(f"YUV4MPEG2 W640 H480 F{fps}:1 Ip A1:1 C420jpeg\n".encode())
            for vf in frames():
                yuv = vf.reformat(format="yuv420p")
                f.write(b"FRAME\n")
                for plane, (w, h) in zip(yuv.planes, [(640, 480), (320, 240), (320, 240)]):
                    data = bytes(plane)
                    for row in range(h):
                        f.write(data[row * plane.line_size : row * plane.line_size + w])
        say(step="clip", frames=total, fps=fps)
        return
    container = av.open(out, mode="w", format="mpegts")
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
    # baseline: what WebRTC stacks send; high: what IP cameras send, with B-frames (2 between
    # references, so frames arrive out of presentation order).
    bframes = "0" if profile == "baseline" else "2"
    stream.options = {"profile": profile, "g": str(fps), "bf": bframes, "preset": "veryfast"}
    for vf in frames():
        for packet in stream.encode(vf):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    say(step="clip", frames=total, fps=fps)


def only(transceiver, codec="h264"):
    """Offers one codec (h264 or vp8)."""
    want = f"video/{codec}"
    codecs = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() == want]
    transceiver.setCodecPreferences(codecs)


class Paced(MediaStreamTrack):
    """The clip's own packets at the clip's frame rate (aiortc sends them as fast as it can)."""

    kind = "video"

    def __init__(self, source, fps):
        super().__init__()
        self.source, self.period, self.next = source, 1.0 / fps, None

    async def recv(self):
        packet = await self.source.recv()
        now = time.monotonic()
        self.next = now if self.next is None else self.next + self.period
        if self.next > now:
            await asyncio.sleep(self.next - now)
        return packet


async def publish(url, token, clip, keep, loop=False, copy=False, fps=15, codec="h264"):
    # copy: send the clip's own H.264 packets (no re-encoding; needs MPEG-TS, Annex-B).
    player = MediaPlayer(clip, decode=not copy, loop=loop)
    track = Paced(player.video, fps) if copy else player.video
    pc = RTCPeerConnection()
    ended = asyncio.Event()
    transceiver = pc.addTransceiver(track, direction="sendonly")
    only(transceiver, codec)
    player.video.on("ended", ended.set)
    await pc.setLocalDescription(await pc.createOffer())
    headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=pc.localDescription.sdp, headers=headers) as r:
            body = await r.text()
            if r.status != 201:
                say(step="refused", status=r.status, body=body)
                sys.exit(2)
            location = r.headers["Location"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
        say(step="published", location=location, t=time.time())
        await ended.wait()
        say(step="ended", t=time.time())
        if keep:
            await asyncio.sleep(3600)
        base = url.split("/whip/")[0]
        async with http.delete(base + location, headers={"Authorization": f"Bearer {token}"}) as r:
            say(step="deleted", status=r.status, t=time.time())
    await pc.close()


async def view(url, seconds, codec="h264"):
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video", direction="recvonly")
    only(transceiver, codec)
    stats = {"frames": 0, "width": None, "height": None, "span": 0.0}
    first = []

    @pc.on("track")
    def on_track(track):
        async def consume():
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                stats["frames"] += 1
                stats["width"], stats["height"] = frame.width, frame.height
                # Seconds from the first frame to the newest: a relay that stalls after a
                # keyframe or two shows a short span, however many frames came at once.
                now = time.monotonic()
                if not first:
                    first.append(now)
                stats["span"] = round(now - first[0], 3)

        asyncio.ensure_future(consume())

    await pc.setLocalDescription(await pc.createOffer())
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"}) as r:
            body = await r.text()
            if r.status != 201:
                say(step="refused", status=r.status, body=body)
                sys.exit(2)
            location = r.headers["Location"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
        await asyncio.sleep(seconds)
        say(**stats)
        base = url.split("/whep/")[0]
        async with http.delete(base + location) as r:
            pass
    await pc.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("clip")
    c.add_argument("out")
    c.add_argument("--fixtures", required=True)
    c.add_argument("--still", type=float, default=2.0)
    c.add_argument("--cross", type=float, default=4.0)
    c.add_argument("--after", type=float, default=3.0)
    c.add_argument("--fps", type=int, default=15)
    c.add_argument("--profile", choices=["baseline", "main", "high"], default="baseline",
                   help="H.264 profile; main and high get B-frames")
    p = sub.add_parser("publish")
    p.add_argument("url")
    p.add_argument("token")
    p.add_argument("clip")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--loop", action="store_true", help="play the clip forever")
    p.add_argument("--copy", action="store_true", help="send the clip's packets without re-encoding")
    p.add_argument("--fps", type=int, default=15, help="frame rate of the clip (with --copy)")
    p.add_argument("--codec", choices=["h264", "vp8"], default="h264", help="the codec offered")
    v = sub.add_parser("view")
    v.add_argument("url")
    v.add_argument("seconds", type=float)
    v.add_argument("--codec", choices=["h264", "vp8"], default="h264", help="the codec accepted")
    a = ap.parse_args()
    if a.cmd == "clip":
        make_clip(a.out, a.fixtures, a.still, a.cross, a.after, a.fps, a.profile)
    elif a.cmd == "publish":
        asyncio.run(publish(a.url, a.token, a.clip, a.keep, a.loop, a.copy, a.fps, a.codec))
    else:
        asyncio.run(view(a.url, a.seconds, a.codec))


if __name__ == "__main__":
    main()
