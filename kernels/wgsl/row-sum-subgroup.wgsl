// Sum over the 32 lanes that share one output row of a 256-invocation workgroup, with subgroupAdd:
// subgroups are consecutive runs of invocations, so one of width ≤ 32 lies inside a single row and
// the row's total is the sum of its 32 / width subgroup sums. Wider subgroups (64 on some AMD GPUs)
// take the workgroup-memory tree. Every lane gets the row's total.
var<workgroup> row_partials: array<f32, 256>;

fn row_sum32(value: f32, lidx: u32, subgroup_width: u32) -> f32 {
  if (subgroup_width > 32u) {
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
  row_partials[lidx] = subgroupAdd(value);
  workgroupBarrier();
  let row_start = lidx & ~31u;
  var total = 0.0;
  for (var i = 0u; i < 32u; i += subgroup_width) {
    total += row_partials[row_start + i];
  }
  return total;
}
