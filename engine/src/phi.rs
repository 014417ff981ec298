//! The reduction sets Φ of docs/science.md §1: which (batch, class) cells are summed together.

use serde::{Deserialize, Serialize};

/// A partition of the (b, c) cells into reduction sets φ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Phi {
    /// One set per image and class (MONAI's default `batch=False`).
    #[default]
    I,
    /// One set per image, all classes together.
    CI,
    /// One set per class, all images together (MONAI `batch=True`, nnU-Net `batch_dice`).
    BI,
    /// Everything in one set.
    BCI,
}

impl Phi {
    pub const ALL: [Phi; 4] = [Phi::I, Phi::CI, Phi::BI, Phi::BCI];

    /// The short code used in URLs, JSON and the paper's subscripts.
    pub fn code(self) -> &'static str {
        match self {
            Phi::I => "I",
            Phi::CI => "CI",
            Phi::BI => "BI",
            Phi::BCI => "BCI",
        }
    }

    /// The paper's word for it.
    pub fn wise_name(self) -> &'static str {
        match self {
            Phi::I => "image-wise",
            Phi::CI => "class-wise",
            Phi::BI => "batch-wise",
            Phi::BCI => "all-wise",
        }
    }

    pub fn parse(s: &str) -> Option<Phi> {
        Phi::ALL
            .into_iter()
            .find(|p| p.code().eq_ignore_ascii_case(s.trim()))
    }

    /// Number of sets for `b` images and `nc` included classes.
    pub fn set_count(self, b: usize, nc: usize) -> usize {
        match self {
            Phi::I => b * nc,
            Phi::CI => b,
            Phi::BI => nc,
            Phi::BCI => 1,
        }
    }

    /// Index of the set holding image `b` and the `k`-th included class (of `nc`).
    /// Sets are ordered b-major for I (the order of MONAI's `[B, C]` loss tensor).
    pub fn set_of(self, b: usize, k: usize, nc: usize) -> usize {
        match self {
            Phi::I => b * nc + k,
            Phi::CI => b,
            Phi::BI => k,
            Phi::BCI => 0,
        }
    }

    /// The sets as lists of (b, c) cells; `classes` are the included class indices.
    pub fn sets(self, b: usize, classes: &[usize]) -> Vec<Vec<(usize, usize)>> {
        let nc = classes.len();
        let mut sets = vec![Vec::new(); self.set_count(b, nc)];
        for bi in 0..b {
            for (k, &c) in classes.iter().enumerate() {
                sets[self.set_of(bi, k, nc)].push((bi, c));
            }
        }
        sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_in_exactly_one_set() {
        for phi in Phi::ALL {
            let sets = phi.sets(3, &[1, 2]);
            assert_eq!(sets.len(), phi.set_count(3, 2));
            let mut all: Vec<_> = sets.concat();
            all.sort();
            assert_eq!(all, vec![(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]);
        }
    }

    #[test]
    fn batch_wise_groups_a_class_across_images() {
        assert_eq!(
            Phi::BI.sets(2, &[0, 1]),
            vec![vec![(0, 0), (1, 0)], vec![(0, 1), (1, 1)]]
        );
        assert_eq!(
            Phi::CI.sets(2, &[0, 1]),
            vec![vec![(0, 0), (0, 1)], vec![(1, 0), (1, 1)]]
        );
    }

    #[test]
    fn parse_round_trips() {
        for phi in Phi::ALL {
            assert_eq!(Phi::parse(phi.code()), Some(phi));
        }
        assert_eq!(Phi::parse("bci"), Some(Phi::BCI));
        assert_eq!(Phi::parse("X"), None);
    }
}
