#!/usr/bin/env python3
"""Curves of one metrics.jsonl field against the generator step, several runs in one PNG, for the
figures of docs/quality.md (python3-pil only; no plotting library in Debian's minimal set).

  python3 bench/plot_metrics.py OUT.png FIELD LABEL=RUN_DIR [LABEL=RUN_DIR ...] [--title T] [--log]
"""
import argparse
import json
import math
import os

from PIL import Image, ImageDraw, ImageFont

COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207)]


def read_curve(run_dir, field):
    points = []
    with open(os.path.join(run_dir, "metrics.jsonl")) as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            if field in record:
                points.append((record["step"], float(record[field])))
    return points


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("field")
    parser.add_argument("runs", nargs="+", help="LABEL=RUN_DIR")
    parser.add_argument("--title", default="")
    parser.add_argument("--log", action="store_true", help="logarithmic y axis")
    args = parser.parse_args()
    curves = []
    for item in args.runs:
        label, run_dir = item.split("=", 1)
        curves.append((label, read_curve(run_dir, args.field)))
    points = [p for _, c in curves for p in c]
    if not points:
        raise SystemExit(f"no {args.field} in any run")
    transform = (lambda v: math.log10(v)) if args.log else (lambda v: v)
    x_max = max(x for x, _ in points)
    ys = [transform(y) for _, y in points]
    y_min, y_max = min(ys), max(ys)
    if y_max == y_min:
        y_max = y_min + 1
    width, height, left, right, top, bottom = 720, 420, 70, 20, 40, 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    font = ImageFont.truetype(font_path, 13) if os.path.exists(font_path) else ImageFont.load_default()

    def to_pixel(x, y):
        px = left + (width - left - right) * x / x_max
        py = top + (height - top - bottom) * (1 - (transform(y) - y_min) / (y_max - y_min))
        return px, py

    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for i in range(6):  # y ticks
        value = y_min + (y_max - y_min) * i / 5
        shown = 10 ** value if args.log else value
        py = top + (height - top - bottom) * (1 - i / 5)
        draw.line([left - 4, py, left, py], fill="black")
        draw.text((4, py - 7), f"{shown:.1f}", fill="black", font=font)
    for i in range(6):  # x ticks
        step = x_max * i / 5
        px = left + (width - left - right) * i / 5
        draw.line([px, height - bottom, px, height - bottom + 4], fill="black")
        draw.text((px - 12, height - bottom + 8), f"{step:.0f}", fill="black", font=font)
    draw.text((width / 2 - 60, height - 20), "generator step", fill="black", font=font)
    draw.text((left, 12), args.title or args.field, fill="black", font=font)
    for n, (label, curve) in enumerate(curves):
        colour = COLOURS[n % len(COLOURS)]
        pixels = [to_pixel(x, y) for x, y in curve]
        if len(pixels) > 1:
            draw.line(pixels, fill=colour, width=2)
        for px, py in pixels:
            draw.ellipse([px - 2, py - 2, px + 2, py + 2], fill=colour)
        draw.text((width - right - 260, top + 8 + 16 * n), f"— {label}", fill=colour, font=font)
    image.save(args.out)


if __name__ == "__main__":
    main()
