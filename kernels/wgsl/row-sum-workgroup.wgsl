// Sum over the 32 lanes that share one output row of a 256-invocation workgroup, through workgroup
// memory (the path for devices without subgroups). Every lane gets the row's total.
var<workgroup> row_partials: array<f32, 256>;

fn row_sum32(value: f32, lidx: u32, subgroup_width: u32) -> f32 {
  row_partials[lidx] = value;
  workgroupBarrier();
  for (var stride = 16u; stride > 0u; stride >>= 1u) {
    if ((lidx & 31u) < stride) {
      row_partials[lidx] += row_partials[lidx + stride];
    }
    workgroupBarrier();
  }
  return row_partials[lidx & ~31u];
}
