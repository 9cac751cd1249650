// Dispatches of more than 65535 workgroups run on a 2-D grid (op-context.ts `grid`); these give
// back the flat workgroup index, and the flat invocation index of a 256-invocation workgroup.
fn flat_workgroup(group: vec3<u32>, groups: vec3<u32>) -> u32 {
  return group.y * groups.x + group.x;
}

fn flat_invocation(group: vec3<u32>, groups: vec3<u32>, lidx: u32) -> u32 {
  return flat_workgroup(group, groups) * 256u + lidx;
}
