import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import zlib from 'node:zlib';
import { crc32 } from './zip';

/**
 * The Teams app icons, drawn in code: `appPackage/color.png` (192×192, a rounded square in the accent colour with a
 * white speech bubble holding a check mark) and `appPackage/outline.png` (32×32, the same bubble and check as white
 * lines on transparent, as Teams requires of an outline icon). Both files are committed; this regenerates them after a
 * change of design or colour:
 *
 *   npm run build && node dist/src/tools/teamsIcons.js      (writes ./appPackage/*.png)
 *
 * No image library: a PNG is a header, zlib-compressed scanlines and three CRCs, and the shapes are signed distance
 * functions sampled 4×4 times per pixel, which gives smooth edges.
 */

/** The manifest's accentColor; the colour icon's background is the same, so the two match in Teams. */
export const ACCENT_COLOR = '#1F6F8B';

type Point = readonly [x: number, y: number];
type Rgba = readonly [r: number, g: number, b: number, a: number];

const WHITE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];
const SAMPLES = 4;

function hexToRgba(hex: string): Rgba {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 255];
}

/** Signed distance from p to a polygon (negative inside), after Inigo Quilez's sdPolygon. */
function polygonDistance([px, py]: Point, vertices: readonly Point[]): number {
  let d = (px - vertices[0][0]) ** 2 + (py - vertices[0][1]) ** 2;
  let sign = 1;
  for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i, i++) {
    const [ix, iy] = vertices[i];
    const [jx, jy] = vertices[j];
    const ex = jx - ix;
    const ey = jy - iy;
    const wx = px - ix;
    const wy = py - iy;
    const t = Math.min(1, Math.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
    d = Math.min(d, (wx - ex * t) ** 2 + (wy - ey * t) ** 2);
    const c1 = py >= iy;
    const c2 = py < jy;
    const c3 = ex * wy > ey * wx;
    if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) sign = -sign;
  }
  return sign * Math.sqrt(d);
}

/** Signed distance to a rounded rectangle given by its corners and corner radius. */
function roundedRectDistance([px, py]: Point, x0: number, y0: number, x1: number, y1: number, radius: number): number {
  const qx = Math.abs(px - (x0 + x1) / 2) - (x1 - x0) / 2 + radius;
  const qy = Math.abs(py - (y0 + y1) / 2) - (y1 - y0) / 2 + radius;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
}

/** Distance from p to a polyline (the check mark); a stroke of width w is where this is at most w/2. */
function polylineDistance([px, py]: Point, points: readonly Point[]): number {
  let best = Infinity;
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    const t = Math.min(1, Math.max(0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
    best = Math.min(best, Math.hypot(px - ax - (bx - ax) * t, py - ay - (by - ay) * t));
  }
  return best;
}

/**
 * A speech bubble as one polygon: a rounded rectangle whose bottom edge bends down into a tail. One outline (rather
 * than a rectangle plus a triangle) keeps the outline icon's stroke from crossing the tail where the two would meet.
 */
function speechBubble(x0: number, y0: number, x1: number, y1: number, radius: number, tail: { left: number; right: number; tip: Point }): Point[] {
  const arc = (cx: number, cy: number, from: number): Point[] =>
    Array.from({ length: 9 }, (_, i) => {
      const angle = ((from + (i * 90) / 8) * Math.PI) / 180;
      return [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)] as const;
    });
  // Clockwise on screen (y grows downwards): top-left corner, top-right, bottom-right, the tail, bottom-left.
  return [
    ...arc(x0 + radius, y0 + radius, 180),
    ...arc(x1 - radius, y0 + radius, 270),
    ...arc(x1 - radius, y1 - radius, 0),
    [tail.right, y1],
    tail.tip,
    [tail.left, y1],
    ...arc(x0 + radius, y1 - radius, 90),
  ];
}

/** Renders size×size RGBA pixels: `paint` gives the colour at a point, sampled SAMPLES² times per pixel and averaged. */
function render(size: number, paint: (p: Point) => Rgba): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      // The plain (unweighted) sums too: a fully transparent pixel keeps that colour (white stays white in the outline).
      let pr = 0;
      let pg = 0;
      let pb = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const [cr, cg, cb, ca] = paint([x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES]);
          // Premultiplied, so a transparent sample does not darken an edge.
          r += cr * ca;
          g += cg * ca;
          b += cb * ca;
          a += ca;
          pr += cr;
          pg += cg;
          pb += cb;
        }
      }
      const n = SAMPLES * SAMPLES;
      const offset = (y * size + x) * 4;
      pixels[offset] = Math.round(a ? r / a : pr / n);
      pixels[offset + 1] = Math.round(a ? g / a : pg / n);
      pixels[offset + 2] = Math.round(a ? b / a : pb / n);
      pixels[offset + 3] = Math.round(a / n);
    }
  }
  return pixels;
}

/** An 8-bit RGBA PNG: signature, IHDR, one IDAT (every scanline with filter 0, "none"), IEND. */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  if (rgba.length !== width * height * 4) throw new Error(`encodePng: expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  // compression, filter method and interlace: 0
  const scanlines = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) rgba.copy(scanlines, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(scanlines, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** 192×192: a rounded square in the accent colour, a white speech bubble, a check mark in the accent colour on it. */
export function colorIcon(accentColor = ACCENT_COLOR): Buffer {
  const accent = hexToRgba(accentColor);
  const bubble = speechBubble(42, 46, 150, 128, 22, { left: 62, right: 92, tip: [52, 154] });
  const check: Point[] = [
    [70, 88],
    [88, 105],
    [122, 70],
  ];
  const pixels = render(192, (p) => {
    if (roundedRectDistance(p, 0, 0, 192, 192, 36) > 0) return CLEAR;
    if (polygonDistance(p, bubble) > 0) return accent;
    return polylineDistance(p, check) <= 6.5 ? accent : WHITE;
  });
  return encodePng(192, 192, pixels);
}

/** 32×32: the bubble as a 2 px white line, the check mark inside it, everything else transparent. */
export function outlineIcon(): Buffer {
  const bubble = speechBubble(2.5, 3.5, 29.5, 23.5, 5, { left: 7, right: 15.5, tip: [5, 30] });
  const check: Point[] = [
    [10, 13.5],
    [14, 17.5],
    [22, 9.5],
  ];
  const pixels = render(32, (p) => {
    const d = polygonDistance(p, bubble);
    const line = (d <= 0 && d >= -2) || polylineDistance(p, check) <= 1.1;
    // Every pixel is white; only its alpha varies. Teams draws the outline icon in its own colours via the alpha.
    return line ? WHITE : [255, 255, 255, 0];
  });
  return encodePng(32, 32, pixels);
}

/** Writes color.png and outline.png into `dir` (appPackage/ by default) and returns their paths. */
export function writeTeamsIcons(dir = resolve(process.cwd(), 'appPackage'), accentColor = ACCENT_COLOR): string[] {
  mkdirSync(dir, { recursive: true });
  const written = [join(dir, 'color.png'), join(dir, 'outline.png')];
  writeFileSync(written[0], colorIcon(accentColor));
  writeFileSync(written[1], outlineIcon());
  return written;
}

if (require.main === module) {
  for (const path of writeTeamsIcons()) console.log(`wrote ${path}`);
}
