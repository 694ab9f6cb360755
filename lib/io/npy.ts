// NumPy .npy files (format 1.0) for feature arrays: little-endian float64
// or int32, C order, readable by numpy.load.
import { writeFileSync } from 'node:fs';

export function encodeNpy(data: Float64Array | Int32Array, shape: readonly number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`npy: shape [${shape.join(', ')}] holds ${count} values, got ${data.length}`);
  const descr = data instanceof Float64Array ? '<f8' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic (6) + version (2) + header length (2) + header + newline, padded to 64 bytes
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(data.byteLength);
  if (data instanceof Float64Array) data.forEach((v, k) => body.writeDoubleLE(v, 8 * k));
  else data.forEach((v, k) => body.writeInt32LE(v, 4 * k));
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

export function writeNpy(path: string, data: Float64Array | Int32Array, shape: readonly number[]): void {
  writeFileSync(path, encodeNpy(data, shape));
}
