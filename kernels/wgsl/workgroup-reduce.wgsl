// Sum and max over a 256-invocation workgroup through workgroup memory; every invocation gets the
// result. Included by the row-wise kernels (one workgroup per row).
var<workgroup> reduce_scratch: array<f32, 256>;

fn workgroup_sum(value: f32, lidx: u32) -> f32 {
  reduce_scratch[lidx] = value;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lidx < stride) {
      reduce_scratch[lidx] += reduce_scratch[lidx + stride];
    }
    workgroupBarrier();
  }
  let result = reduce_scratch[0];
  workgroupBarrier(); // the scratch is reused by the next reduction
  return result;
}

fn workgroup_max(value: f32, lidx: u32) -> f32 {
  reduce_scratch[lidx] = value;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lidx < stride) {
      reduce_scratch[lidx] = max(reduce_scratch[lidx], reduce_scratch[lidx + stride]);
    }
    workgroupBarrier();
  }
  let result = reduce_scratch[0];
  workgroupBarrier();
  return result;
}
