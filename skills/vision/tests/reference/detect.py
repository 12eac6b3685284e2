"""Independent reference pipeline for the MegadetectorLite detector: Pillow decode, letterbox,
ONNX Runtime (the Python package), YOLOX decoding and NMS in numpy.

    python detect.py MODEL SIZE IMAGE...            boxes as JSON on stdout
    python detect.py --bench MODEL SIZE DIR ROUNDS  throughput of the whole pipeline

With BENCH_RECT=1, MODEL must be the detector with a free input size and raw head rows (what
trailmesh's `vision.letterbox = "rect"` runs; vision-bench writes it out): each image is padded
only to the next multiple of 32 and the rows are decoded here (YOLOX: strides 8, 16, 32,
centre = (offset + cell) x stride, size = exp(log) x stride).

Used by the detection tests (expected boxes) and by the vision benchmark (the figure to
beat). Written from the model's description (MODELS.md), not from the Rust code.
"""

import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

CONF = 0.25
NMS_IOU = 0.45


def session(model, threads):
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def letterbox(img, size):
    w, h = img.size
    r = min(size / w, size / h)
    nw, nh = max(1, int(w * r)), max(1, int(h * r))
    resized = np.asarray(img.resize((nw, nh), Image.BILINEAR), dtype=np.float32)
    out = np.zeros((3, size, size), dtype=np.float32)
    out[:, :nh, :nw] = resized.transpose(2, 0, 1)
    return out, r


STRIDES = (8, 16, 32)


def letterbox_rect(img, size):
    w, h = img.size
    r = min(size / w, size / h)
    nw, nh = max(1, int(w * r)), max(1, int(h * r))
    pw, ph = -(-nw // STRIDES[-1]) * STRIDES[-1], -(-nh // STRIDES[-1]) * STRIDES[-1]
    resized = np.asarray(img.resize((nw, nh), Image.BILINEAR), dtype=np.float32)
    out = np.zeros((3, ph, pw), dtype=np.float32)
    out[:, :nh, :nw] = resized.transpose(2, 0, 1)
    return out, r


def decode_raw(rows, height, width):
    grids, strides = [], []
    for s in STRIDES:
        ys, xs = np.meshgrid(np.arange(height // s), np.arange(width // s), indexing="ij")
        grids.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        strides.append(np.full(grids[-1].shape[0], s))
    grid = np.concatenate(grids).astype(np.float32)
    stride = np.concatenate(strides).astype(np.float32)[:, None]
    out = rows.copy()
    out[:, :2] = (out[:, :2] + grid) * stride
    out[:, 2:4] = np.exp(out[:, 2:4]) * stride
    return out


def nms(boxes, scores, iou):
    order = scores.argsort()[::-1]
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        xx0 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        yy0 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx1 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        yy1 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(xx1 - xx0, 0, None) * np.clip(yy1 - yy0, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        union = area(boxes[i]) + area(boxes[order[1:]]) - inter
        order = order[1:][inter / np.maximum(union, 1e-9) <= iou]
    return keep


def postprocess(rows, r, w, h):
    scores = rows[:, 4] * rows[:, 5]
    m = scores >= CONF
    rows, scores = rows[m], scores[m]
    cx, cy, bw, bh = (rows[:, k] / r for k in range(4))
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
    keep = nms(boxes, scores, NMS_IOU)
    return [[float(v) for v in boxes[i]] + [float(scores[i])] for i in keep]


def detect(sess, path, size, rect=False):
    img = Image.open(path).convert("RGB")
    x, r = (letterbox_rect if rect else letterbox)(img, size)
    out = sess.run(None, {"images": x[None]})[0][0]
    if rect:
        out = decode_raw(out, x.shape[1], x.shape[2])
    return postprocess(out, r, *img.size)


def main():
    args = sys.argv[1:]
    if args and args[0] == "--bench":
        model, size, folder, rounds = args[1], int(args[2]), args[3], int(args[4])
        threads = int(os.environ.get("BENCH_THREADS", "0"))
        rect = os.environ.get("BENCH_RECT") == "1"
        sess = session(model, threads)
        files = sorted(
            os.path.join(folder, f)
            for f in os.listdir(folder)
            if f.lower().endswith((".jpg", ".jpeg", ".png"))
        )
        detect(sess, files[0], size, rect)  # warm-up
        n, boxes, t0 = 0, 0, time.perf_counter()
        for _ in range(rounds):
            for f in files:
                boxes += len(detect(sess, f, size, rect))
                n += 1
        secs = time.perf_counter() - t0
        print(json.dumps({"images": n, "seconds": secs, "images_per_s": n / secs, "boxes": boxes}))
        return
    model, size, images = args[0], int(args[1]), args[2:]
    sess = session(model, 0)
    print(json.dumps({os.path.basename(p): detect(sess, p, size) for p in images}, indent=1))


if __name__ == "__main__":
    main()
