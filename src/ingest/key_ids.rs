//! A report's key ids, held small: a year of reports keeps every one's until the counts are
//! made, and a report that has every counter its config allows has hundreds.
//!
//! The ids are sorted and distinct, so each is held as its difference from the one before
//! (the first from zero) in LEB128: seven bits a byte, the high bit set on every byte but
//! a number's last. Ids of one report are near each other (a program's keys are numbered
//! as they are first seen), so most take one byte instead of four. A year of reports that
//! each carry every counter of Go's config held 1 GiB of ids as `u32`s (explorer I, stop 34).

use serde::{Deserialize, Serialize};

/// Sorted, distinct key ids (see [`super::Catalog`]), delta-encoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyIds(#[serde(with = "serde_bytes")] Box<[u8]>);

impl KeyIds {
    /// The set of `ids`, which must be sorted and distinct (debug builds check).
    pub fn new(ids: &[u32]) -> KeyIds {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]), "key ids sorted and distinct: {ids:?}");
        let mut bytes = Vec::with_capacity(ids.len() + 4);
        let mut previous = 0;
        for &id in ids {
            let mut delta = id - previous;
            previous = id;
            while delta >= 0x80 {
                bytes.push((delta as u8) | 0x80);
                delta >>= 7;
            }
            bytes.push(delta as u8);
        }
        KeyIds(bytes.into_boxed_slice())
    }

    /// The ids, in order.
    pub fn iter(&self) -> IdIter<'_> {
        IdIter { bytes: &self.0, previous: 0 }
    }

    /// The ids as a vector.
    pub fn to_vec(&self) -> Vec<u32> {
        self.iter().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a KeyIds {
    type Item = u32;
    type IntoIter = IdIter<'a>;

    fn into_iter(self) -> IdIter<'a> {
        self.iter()
    }
}

/// The ids of a [`KeyIds`], in order.
#[derive(Debug, Clone)]
pub struct IdIter<'a> {
    bytes: &'a [u8],
    previous: u32,
}

impl Iterator for IdIter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let mut delta = 0u32;
        let mut shift = 0;
        loop {
            let (&byte, rest) = self.bytes.split_first()?;
            self.bytes = rest;
            delta |= u32::from(byte & 0x7f).wrapping_shl(shift);
            if byte < 0x80 {
                break;
            }
            shift += 7;
        }
        self.previous += delta;
        Some(self.previous)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_as_they_went_in_each_in_as_few_bytes_as_its_difference_needs() {
        // Differences 0, 1, 127 (one byte each), 128 (two: 0x80 0x01), 16,384 (three).
        let ids = [0, 1, 128, 256, 16_640];
        let set = KeyIds::new(&ids);
        assert_eq!(set.to_vec(), ids);
        assert_eq!(*set.0, [0x00, 0x01, 0x7f, 0x80, 0x01, 0x80, 0x80, 0x01]);
        assert_eq!(KeyIds::new(&[]).to_vec(), Vec::<u32>::new());
        assert!(KeyIds::new(&[]).is_empty());
        // The largest id: a first difference of u32::MAX takes five bytes.
        let max = KeyIds::new(&[7, u32::MAX]);
        assert_eq!(max.to_vec(), [7, u32::MAX]);
        assert_eq!(max.0.len(), 1 + 5);
    }

    #[test]
    fn any_sorted_distinct_ids_round_trip() {
        use proptest::prelude::*;
        proptest!(|(ids in proptest::collection::btree_set(any::<u32>(), 0..300))| {
            let ids: Vec<u32> = ids.into_iter().collect();
            prop_assert_eq!(KeyIds::new(&ids).to_vec(), ids);
        });
    }
}
