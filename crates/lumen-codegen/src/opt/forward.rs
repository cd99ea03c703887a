//! The forward data-flow solver shared by folding, copy propagation and hoisting:
//! blocks are visited in reverse postorder, round after round, until no block's entry
//! state changes (one round plus a check for loop-free code). A worklist in arbitrary
//! order can revisit a long chain of branches once per branch: cubic on big cells.

use lumen_core::flow::Block;

/// Reverse postorder of the blocks reachable from block 0.
pub fn reverse_postorder(blocks: &[Block]) -> Vec<usize> {
    let mut order = Vec::with_capacity(blocks.len());
    if blocks.is_empty() {
        return order;
    }
    let mut seen = vec![false; blocks.len()];
    // Explicit stack of (block, next successor to visit): no recursion on deep chains.
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some((b, i)) = stack.pop() {
        if let Some(&s) = blocks[b].succs.get(i) {
            stack.push((b, i + 1));
            if !seen[s] {
                seen[s] = true;
                stack.push((s, 0));
            }
        } else {
            order.push(b);
        }
    }
    order.reverse();
    order
}

/// Solves a forward problem: `entry` holds on entry to block 0; `flow(b, state)` gives
/// the state on each outgoing edge `(successor, state)` of block `b`; `meet` combines
/// the states of two incoming edges. Returns each block's entry state (`None`:
/// unreachable).
pub fn solve<S: Clone + PartialEq>(
    blocks: &[Block],
    entry: S,
    mut flow: impl FnMut(usize, &S) -> Vec<(usize, S)>,
    meet: impl Fn(&S, &S) -> S,
) -> Vec<Option<S>> {
    let order = reverse_postorder(blocks);
    let mut state_in: Vec<Option<S>> = vec![None; blocks.len()];
    if blocks.is_empty() {
        return state_in;
    }
    state_in[0] = Some(entry);
    loop {
        let mut changed = false;
        for &b in &order {
            let Some(st) = state_in[b].clone() else {
                continue;
            };
            for (s, out) in flow(b, &st) {
                let merged = match &state_in[s] {
                    None => out,
                    Some(old) => meet(old, &out),
                };
                if state_in[s].as_ref() != Some(&merged) {
                    state_in[s] = Some(merged);
                    changed = true;
                }
            }
        }
        if !changed {
            return state_in;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_core::flow::blocks;
    use lumen_core::lir::{CmpOp, Instr};

    #[test]
    fn loops_reach_a_fixed_point() {
        // 0: r0 = 0; 1: loop head …; back edge from 2 to 1.
        let code = vec![
            Instr::LoadInt { dst: 0, value: 0 },
            Instr::IntAddImm {
                dst: 0,
                a: 0,
                value: 1,
            },
            Instr::JumpIfIntCmp {
                op: CmpOp::Lt,
                a: 0,
                b: 0,
                target: 1,
            },
            Instr::Return { src: 0 },
        ];
        let b = blocks(&code);
        assert_eq!(reverse_postorder(&b), vec![0, 1, 2]);
        // Count of paths into a block, capped at 3: the loop head sees its back edge.
        let st = solve(
            &b,
            1u32,
            |blk, s| b[blk].succs.iter().map(|&t| (t, *s)).collect(),
            |a, c| (a + c).min(3),
        );
        assert_eq!(st, vec![Some(1), Some(3), Some(3)]);
    }
}
