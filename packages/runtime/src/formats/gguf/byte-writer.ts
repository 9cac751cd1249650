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

  // Each setter reserves first (in its own statement) because reserving may replace `view`.
  u8(value: number): void { const at = this.reserve(1); this.view.setUint8(at, value); }
  i8(value: number): void { const at = this.reserve(1); this.view.setInt8(at, value); }
  u16(value: number): void { const at = this.reserve(2); this.view.setUint16(at, value, true); }
  i16(value: number): void { const at = this.reserve(2); this.view.setInt16(at, value, true); }
  u32(value: number): void { const at = this.reserve(4); this.view.setUint32(at, value, true); }
  i32(value: number): void { const at = this.reserve(4); this.view.setInt32(at, value, true); }
  f32(value: number): void { const at = this.reserve(4); this.view.setFloat32(at, value, true); }
  f64(value: number): void { const at = this.reserve(8); this.view.setFloat64(at, value, true); }
  u64(value: bigint | number): void { const at = this.reserve(8); this.view.setBigUint64(at, BigInt(value), true); }
  i64(value: bigint | number): void { const at = this.reserve(8); this.view.setBigInt64(at, BigInt(value), true); }

  raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.byteLength); // before reading this.bytes: reserving may replace it
    this.bytes.set(bytes, at);
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
