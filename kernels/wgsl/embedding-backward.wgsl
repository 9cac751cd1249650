// Embedding backward, a deterministic scatter-add without float atomics: one 256-invocation
// workgroup owns one table row and scans the ids 256 at a time through workgroup memory; for each
// token with that id (in token order) its lanes add the token's gradient row, each lane owning the
// columns c ≡ lane (mod 256). Every row therefore sums its tokens in token order, exactly as the
// reference does, at the cost of V · N id comparisons (cheap next to the N · C additions).
// Out-of-range ids match no row and contribute nothing.

struct Params {
  N: u32,
  V: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> dtable: array<f32>;

var<workgroup> id_tile: array<i32, 256>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let row = flat_workgroup(group, groups);
  if (row >= params.V) {
    return;
  }
  let C = params.C;
  for (var n0 = 0u; n0 < params.N; n0 += 256u) {
    var id = -1;
    if (n0 + lidx < params.N) {
      id = ids[n0 + lidx];
    }
    id_tile[lidx] = id;
    workgroupBarrier();
    let count = min(256u, params.N - n0);
    for (var i = 0u; i < count; i++) {
      if (id_tile[i] == i32(row)) {
        let source = (n0 + i) * C;
        for (var c = lidx; c < C; c += 256u) {
          dtable[row * C + c] += dout[source + c];
        }
      }
    }
    workgroupBarrier(); // the tile is rewritten next
  }
}
