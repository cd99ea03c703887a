//! Division by a constant as a multiplication: the "magic numbers" of Granlund and
//! Montgomery (Hacker's Delight, chapter 10).
//!
//! A hardware division takes tens of cycles; `x / d` for a constant `d` is the high half
//! of `x * m` shifted right by `s` (plus fix-ups), a few cycles. Cranelift turns only
//! unsigned divisions by constants into multiplications, and Lumen's `/`, `//` and `%`
//! are signed, so the translator emits the sequence itself ([`Magic`]): `x % 10` and
//! `n / 3` in a loop then cost a multiplication, not an `idiv`.

/// The multiplier and shift that divide by a constant `d` (`2 <= |d|`, `d != i64::MIN`):
/// for every Int `x`, the quotient rounded toward zero is
/// `q = ((mulhs(x, mul) + fix) >> shift) + (1 if that is negative)`, where `mulhs` is
/// the high 64 bits of the signed 128-bit product and `fix` is `x` when `d > 0` and
/// `mul < 0`, `-x` when `d < 0` and `mul > 0`, else 0 ([`Magic::quotient`] spells it
/// out). For `x >= 0` and `d > 0` the last correction is always 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Magic {
    /// The multiplier `m`.
    pub mul: i64,
    /// The arithmetic right shift `s` after the multiplication.
    pub shift: u32,
}

/// What to add to the high half of the product before the shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fix {
    /// Nothing.
    None,
    /// The dividend.
    Add,
    /// The negated dividend.
    Sub,
}

impl Magic {
    /// The magic numbers of divisor `d`, or `None` when `d` is `0`, `1`, `-1` or
    /// `i64::MIN` (no multiplier, or none needed: the translator divides those
    /// otherwise). Hacker's Delight, figure 10-1, for 64 bits.
    pub(crate) fn of(d: i64) -> Option<Magic> {
        if matches!(d, -1..=1 | i64::MIN) {
            return None;
        }
        const TWO63: u64 = 1 << 63;
        let ad = d.unsigned_abs();
        let t = TWO63 + ((d as u64) >> 63);
        // |nc|: the largest dividend magnitude whose remainder by |d| is |d| - 1.
        let anc = t - 1 - t % ad;
        let mut p = 63u32;
        let (mut q1, mut r1) = (TWO63 / anc, TWO63 % anc);
        let (mut q2, mut r2) = (TWO63 / ad, TWO63 % ad);
        loop {
            p += 1;
            // (Wrapping: the quotients reach 2^64 exactly when the loop ends.)
            q1 = q1.wrapping_mul(2);
            r1 = r1.wrapping_mul(2);
            if r1 >= anc {
                q1 = q1.wrapping_add(1);
                r1 = r1.wrapping_sub(anc);
            }
            q2 = q2.wrapping_mul(2);
            r2 = r2.wrapping_mul(2);
            if r2 >= ad {
                q2 = q2.wrapping_add(1);
                r2 = r2.wrapping_sub(ad);
            }
            let delta = ad - r2;
            if !(q1 < delta || (q1 == delta && r1 == 0)) {
                break;
            }
        }
        let m = q2.wrapping_add(1) as i64;
        Some(Magic {
            mul: if d < 0 { m.wrapping_neg() } else { m },
            shift: p - 64,
        })
    }

    /// What divisor `d` (the one these numbers are of) adds before the shift.
    pub(crate) fn fix(self, d: i64) -> Fix {
        match (d > 0, self.mul < 0) {
            (true, true) => Fix::Add,
            (false, false) => Fix::Sub,
            _ => Fix::None,
        }
    }

    /// `x / d` rounded toward zero, computed as the emitted code computes it (the
    /// reference the tests hold the numbers to).
    #[cfg(test)]
    fn quotient(self, x: i64, d: i64) -> i64 {
        let hi = ((i128::from(x) * i128::from(self.mul)) >> 64) as i64;
        let t = match self.fix(d) {
            Fix::None => hi,
            Fix::Add => hi.wrapping_add(x),
            Fix::Sub => hi.wrapping_sub(x),
        };
        let q = t >> self.shift;
        q + ((q as u64) >> 63) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Dividends where rounding goes wrong first: the extremes, around 0, and around
    /// multiples of the divisor.
    fn edges(d: i64) -> Vec<i64> {
        let mut xs = vec![i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1, 0, 1, -1];
        for k in [1i64, 2, 3, 1000, i64::MAX / d.abs()] {
            let m = k.saturating_mul(d.abs());
            for x in [m.saturating_sub(1), m, m.saturating_add(1)] {
                xs.extend([x, x.wrapping_neg()]);
            }
        }
        xs
    }

    #[test]
    fn known_divisors_have_the_books_numbers() {
        // Hacker's Delight, table 10-2 (64-bit column).
        let magic = |d| Magic::of(d).map(|m| (m.mul as u64, m.shift));
        assert_eq!(magic(3), Some((0x5555_5555_5555_5556, 0)));
        assert_eq!(magic(5), Some((0x6666_6666_6666_6667, 1)));
        assert_eq!(magic(7), Some((0x4924_9249_2492_4925, 1)));
        assert_eq!(magic(-5), Some((0x9999_9999_9999_9999, 1)));
        assert_eq!(magic(0), None);
        assert_eq!(magic(1), None);
        assert_eq!(magic(-1), None);
        assert_eq!(magic(i64::MIN), None);
    }

    #[test]
    fn every_small_divisor_divides_the_edges_exactly() {
        let divisors = (-300i64..=300)
            .chain([
                1 << 32,
                (1 << 62) + 1,
                i64::MAX,
                i64::MIN + 1,
                -(1 << 40) - 3,
            ])
            .chain((1..63).map(|s| 1i64 << s))
            .chain((1..63).map(|s| -(1i64 << s)));
        for d in divisors {
            let Some(m) = Magic::of(d) else {
                assert!(matches!(d, -1..=1), "{d}");
                continue;
            };
            for x in edges(d) {
                assert_eq!(m.quotient(x, d), x.wrapping_div(d), "{x} / {d} with {m:?}");
            }
        }
    }

    #[test]
    fn a_non_negative_dividend_needs_no_rounding_fix_up() {
        // What `Magic`'s doc promises and the translator relies on: for `x >= 0` and
        // `d > 0` the shifted value is already the quotient.
        for d in (2i64..=1000).chain([1000003, i64::MAX, (1 << 62) + 1]) {
            let m = Magic::of(d).expect("magic numbers");
            for x in edges(d).into_iter().filter(|&x| x >= 0) {
                let q = m.quotient(x, d);
                assert!(q >= 0 && q == x / d, "{x} / {d}");
                let hi = ((i128::from(x) * i128::from(m.mul)) >> 64) as i64;
                let t = if m.fix(d) == Fix::Add { hi + x } else { hi };
                assert_eq!(t >> m.shift, q, "{x} / {d}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_divisor_divides_any_dividend(x: i64, d: i64) {
            if let Some(m) = Magic::of(d) {
                prop_assert_eq!(m.quotient(x, d), x.wrapping_div(d));
            }
        }

        #[test]
        fn small_divisors_divide_any_dividend(x: i64, d in -100_000i64..100_000) {
            if let Some(m) = Magic::of(d) {
                prop_assert_eq!(m.quotient(x, d), x.wrapping_div(d));
            }
        }
    }
}
