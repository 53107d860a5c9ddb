//! Whether some inputs (reports or saved sets) are the shards of one N-way
//! split, each once and none missing, and their order: by shard index.
//! Pure: the caller reads the inputs and names them.

use super::MergeError;
use crate::shard::Shard;
use std::path::{Path, PathBuf};

/// The inputs' positions in shard order, once every input is a shard of the
/// same N, no shard is given twice and none is missing.
pub fn order(inputs: &[(&Path, Option<Shard>)]) -> Result<Vec<usize>, MergeError> {
    let mut first: Option<(&Path, Shard)> = None;
    let mut by_index: Vec<Option<(usize, &Path)>> = Vec::new();
    for (position, &(path, shard)) in inputs.iter().enumerate() {
        let Some(shard) = shard else {
            return Err(MergeError::NotAShard { path: path.to_path_buf() });
        };
        let (first_path, first_shard) = *first.get_or_insert((path, shard));
        if shard.count != first_shard.count {
            return Err(MergeError::ShardCounts {
                first: first_path.to_path_buf(),
                first_shard,
                other: path.to_path_buf(),
                other_shard: shard,
            });
        }
        by_index.resize(shard.count as usize, None);
        if let Some((_, earlier)) = by_index[shard.index as usize] {
            return Err(MergeError::SameShard { shard, first: earlier.to_path_buf(), second: path.to_path_buf() });
        }
        by_index[shard.index as usize] = Some((position, path));
    }
    let missing: Vec<u32> = (0..).zip(&by_index).filter(|(_, given)| given.is_none()).map(|(index, _)| index).collect();
    if !missing.is_empty() {
        let count = first.map_or(0, |(_, shard)| shard.count);
        let given: Vec<PathBuf> = inputs.iter().map(|(path, _)| path.to_path_buf()).collect();
        return Err(MergeError::MissingShards { count, missing, given });
    }
    Ok(by_index.into_iter().flatten().map(|(position, _)| position).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(index: u32, count: u32) -> Option<Shard> {
        Some(Shard { index, count })
    }

    fn run(inputs: &[(&str, Option<Shard>)]) -> Result<Vec<usize>, String> {
        let inputs: Vec<(&Path, Option<Shard>)> = inputs.iter().map(|(p, s)| (Path::new(*p), *s)).collect();
        order(&inputs).map_err(|e| e.to_string())
    }

    /// Some inputs, and their order or the refusal.
    type Case<'a> = (&'a [(&'a str, Option<Shard>)], Result<Vec<usize>, &'a str>);

    #[test]
    fn shards_are_ordered_by_index_and_must_cover_the_split_once() {
        let cases: &[Case] = &[
            (&[("a", shard(0, 1))], Ok(vec![0])),
            (&[("b", shard(1, 2)), ("a", shard(0, 2))], Ok(vec![1, 0])),
            (&[("c", shard(2, 3)), ("a", shard(0, 3)), ("b", shard(1, 3))], Ok(vec![1, 2, 0])),
            (&[("a", shard(0, 2)), ("b", None)], Err("b is not one shard's: it was made without --shard I/N")),
            (
                &[("a", shard(0, 2)), ("b", shard(1, 3))],
                Err("a is shard 0/2 and b is shard 1/3: shards of different splits cannot be merged"),
            ),
            (&[("a", shard(1, 3)), ("b", shard(1, 3))], Err("a and b are both shard 1/3")),
            (
                &[("a", shard(0, 3)), ("c", shard(2, 3))],
                Err("shard 1 of 3 is missing (given: a, c): merging without it would leave its hosts out unseen"),
            ),
            (
                &[("b", shard(1, 4))],
                Err("shards 0, 2, 3 of 4 are missing (given: b): merging without them would leave their hosts out unseen"),
            ),
        ];
        for (inputs, expected) in cases {
            assert_eq!(run(inputs), expected.clone().map_err(str::to_string), "{inputs:?}");
        }
    }
}
