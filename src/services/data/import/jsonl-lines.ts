/** A JSONL file line by line, with each line's number and byte range (to read it again later). */
import fs from 'node:fs';

export interface Line {
  no: number;
  offset: number;
  length: number;
  text: string;
}

/** The lines of `file` (without their "\n"; a final "\r" is dropped too), one buffer of the file in memory at a time. */
export async function* readLines(file: string): AsyncIterable<Line> {
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = 0;
  let no = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      no++;
      yield line(buf, start, nl, carryOffset, no);
      start = nl + 1;
    }
    carry = buf.subarray(start);
    carryOffset += start;
  }
  if (carry.length > 0) yield line(carry, 0, carry.length, carryOffset, no + 1);
}

function line(buf: Buffer, start: number, end: number, base: number, no: number): Line {
  const stop = end > start && buf[end - 1] === 13 ? end - 1 : end;
  return { no, offset: base + start, length: end - start, text: buf.toString('utf8', start, stop) };
}

/** Reads one line again by its byte range. */
export async function readLineAt(handle: fs.promises.FileHandle, offset: number, length: number): Promise<string> {
  const buf = Buffer.alloc(length);
  await handle.read(buf, 0, length, offset);
  return buf.toString('utf8').replace(/\r$/, '');
}
