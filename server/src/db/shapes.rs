//! Multi-row statements in a bounded number of shapes. A batch writes many
//! rows with one statement, but every distinct SQL text is prepared (and
//! cached) on its own, so row counts are rounded to a few sizes: lists that
//! tolerate padding are padded up to a power of two, and inserts, which do
//! not, are split into power-of-two pieces.

use std::ops::Range;

/// Most rows one statement carries (well under both engines' parameter limits).
pub const MAX_ROWS: usize = 256;

/// The row count a padded list of `n` rows is sent as.
pub fn padded(n: usize) -> usize {
    n.max(1).next_power_of_two().min(MAX_ROWS)
}

/// Splits `0..n` into padded chunks of at most [`MAX_ROWS`]: each range is
/// the real rows of one statement, sent as `padded(range.len())` rows.
pub fn chunks(n: usize) -> impl Iterator<Item = Range<usize>> {
    (0..n)
        .step_by(MAX_ROWS)
        .map(move |start| start..(start + MAX_ROWS).min(n))
}

/// `part` padded to `padded(part.len())` rows by repeating its last row:
/// for lists where a repeated value changes nothing (`IN`, lookups).
pub fn pad<T>(part: &[T]) -> impl Iterator<Item = &T> {
    let last = part.len().saturating_sub(1);
    (0..padded(part.len())).filter_map(move |i| part.get(i.min(last)))
}

/// Splits `0..n` into pieces whose lengths are powers of two, largest first.
pub fn pieces(n: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let left = n - start;
        let len = if left >= MAX_ROWS {
            MAX_ROWS
        } else {
            1 << (usize::BITS - 1 - left.leading_zeros())
        };
        out.push(start..start + len);
        start += len;
    }
    out
}

/// How an engine's placeholders are written. SQLite's driver finds each
/// numbered parameter (`$7`) by name, a linear search per parameter, so a
/// statement of thousands of them costs quadratic time; there, plain `?`
/// marks are bound in the order they appear, which is how these statements
/// bind. PostgreSQL needs `$n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marks {
    Numbered,
    InOrder,
}

impl Marks {
    pub fn of(conn: &sqlx::AnyConnection) -> Marks {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Marks::InOrder
        } else {
            Marks::Numbered
        }
    }

    /// The placeholder of the `n`th parameter (from 1).
    pub fn nth(self, n: usize) -> String {
        match self {
            Marks::Numbered => format!("${n}"),
            Marks::InOrder => "?".to_string(),
        }
    }

    /// `rows` groups of `cols` placeholders: `($1, $2), ($3, $4)` for 2 rows of 2.
    pub fn tuples(self, rows: usize, cols: usize) -> String {
        (0..rows)
            .map(|r| {
                let row: Vec<String> = (1..=cols).map(|c| self.nth(r * cols + c)).collect();
                format!("({})", row.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `$1, …` for a list of `rows` values.
    pub fn list(self, rows: usize) -> String {
        (1..=rows)
            .map(|n| self.nth(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_every_row_once_in_few_shapes() {
        for n in 0..1000 {
            let p = pieces(n);
            assert_eq!(p.iter().map(|r| r.len()).sum::<usize>(), n);
            assert!(p.windows(2).all(|w| w[0].end == w[1].start));
            assert!(p
                .iter()
                .all(|r| r.len().is_power_of_two() && r.len() <= MAX_ROWS));
        }
        assert_eq!(pieces(7).len(), 3);
    }

    #[test]
    fn chunks_pad_to_powers_of_two() {
        let c: Vec<_> = chunks(600).collect();
        assert_eq!(c, vec![0..256, 256..512, 512..600]);
        assert_eq!(padded(88), 128);
        assert_eq!(padded(0), 1);
        assert_eq!(padded(5000), MAX_ROWS);
        assert_eq!(pad(&[1, 2, 3]).copied().collect::<Vec<_>>(), [1, 2, 3, 3]);
        assert_eq!(pad::<u8>(&[]).count(), 0);
    }

    #[test]
    fn placeholders_follow_the_engine() {
        assert_eq!(Marks::Numbered.tuples(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(Marks::InOrder.tuples(2, 2), "(?, ?), (?, ?)");
        assert_eq!(Marks::Numbered.list(3), "$1, $2, $3");
        assert_eq!(Marks::InOrder.list(2), "?, ?");
    }
}
