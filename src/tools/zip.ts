import zlib from 'node:zlib';

/**
 * A minimal ZIP writer, enough for a Teams app package (a handful of small files at the archive root). Written here
 * rather than taken from a library because the package step runs from dist/ with production dependencies only, and
 * the format needed is small: local headers, the data, a central directory and its end record (no ZIP64, no
 * encryption, no directories).
 */
export interface ZipEntry {
  /** The path inside the archive ("manifest.json"); forward slashes, no leading slash. */
  name: string;
  data: Buffer;
}

/** CRC-32 as ZIP and PNG use it: Node's own where it has one (20.15+, 22.2+), else a table (engines allow 20.12). */
export function crc32(data: Buffer): number {
  const native = (zlib as { crc32?: (data: Buffer) => number }).crc32;
  return native ? native(data) >>> 0 : softwareCrc32(data);
}

let table: Uint32Array | undefined;
/** The same CRC-32 computed byte by byte with the usual table (exported so a test can hold it to Node's). */
export function softwareCrc32(data: Buffer): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const STORED = 0;
const DEFLATED = 8;
/** Bit 11: the names are UTF-8 (they are ASCII here, but a name given later might not be). */
const UTF8_NAMES = 0x0800;
/**
 * Every entry is dated 1980-01-01 00:00, the earliest DOS date: the same inputs give a byte-identical package, so a
 * rebuilt zip that did not change does not look like a new app version to anyone comparing files.
 */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** The archive as one buffer. Each file is deflated, unless that would make it larger (PNGs are already compressed). */
export function createZip(entries: readonly ZipEntry[]): Buffer {
  const names = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (!entry.name || entry.name.startsWith('/') || entry.name.includes('\\')) throw new Error(`zip: bad entry name "${entry.name}"`);
    if (names.has(entry.name)) throw new Error(`zip: "${entry.name}" twice`);
    names.add(entry.name);
    const name = Buffer.from(entry.name, 'utf8');
    const deflated = zlib.deflateRawSync(entry.data, { level: 9 });
    const method = deflated.length < entry.data.length ? DEFLATED : STORED;
    const body = method === DEFLATED ? deflated : entry.data;
    const crc = crc32(entry.data);

    /** The fields both headers share, from "version needed" to the name's length, at `at`. */
    const describe = (header: Buffer, at: number) => {
      header.writeUInt16LE(20, at); // version needed to extract: 2.0 (deflate)
      header.writeUInt16LE(UTF8_NAMES, at + 2);
      header.writeUInt16LE(method, at + 4);
      header.writeUInt16LE(DOS_TIME, at + 6);
      header.writeUInt16LE(DOS_DATE, at + 8);
      header.writeUInt32LE(crc, at + 10);
      header.writeUInt32LE(body.length, at + 14);
      header.writeUInt32LE(entry.data.length, at + 18);
      header.writeUInt16LE(name.length, at + 22);
    };

    const local = Buffer.alloc(30); // extra field length: 0
    local.writeUInt32LE(0x04034b50, 0); // local file header signature
    describe(local, 4);
    locals.push(local, name, body);

    const central = Buffer.alloc(46); // extra, comment, disk number, internal attributes: 0
    central.writeUInt32LE(0x02014b50, 0); // central directory header signature
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, spec 2.0
    describe(central, 6);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  if (offset + directory.length > 0xffffffff || entries.length > 0xffff) throw new Error('zip: too large for a ZIP without ZIP64');

  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
  end.writeUInt16LE(entries.length, 8); // entries on this disk
  end.writeUInt16LE(entries.length, 10); // entries in total
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
