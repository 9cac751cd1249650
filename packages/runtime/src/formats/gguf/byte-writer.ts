/** A growable little-endian byte buffer for encoding GGUF headers. */
export class ByteWriter {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(count: number): number {
    if (this.length + count > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, this.length + count));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += count;
    return at;
  }

  u8(value: number): void { this.view.setUint8(this.reserve(1), value); }
  i8(value: number): void { this.view.setInt8(this.reserve(1), value); }
  u16(value: number): void { this.view.setUint16(this.reserve(2), value, true); }
  i16(value: number): void { this.view.setInt16(this.reserve(2), value, true); }
  u32(value: number): void { this.view.setUint32(this.reserve(4), value, true); }
  i32(value: number): void { this.view.setInt32(this.reserve(4), value, true); }
  f32(value: number): void { this.view.setFloat32(this.reserve(4), value, true); }
  f64(value: number): void { this.view.setFloat64(this.reserve(8), value, true); }
  u64(value: bigint | number): void { this.view.setBigUint64(this.reserve(8), BigInt(value), true); }
  i64(value: bigint | number): void { this.view.setBigInt64(this.reserve(8), BigInt(value), true); }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.reserve(bytes.byteLength));
  }

  /** A GGUF string: u64 byte length, then the UTF-8 bytes. */
  string(value: string): void {
    const encoded = new TextEncoder().encode(value);
    this.u64(encoded.byteLength);
    this.raw(encoded);
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): void {
    this.reserve((alignment - (this.length % alignment)) % alignment);
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}
