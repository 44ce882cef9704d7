//! One pass over a query's matches that gathers everything an answer needs: the counts per kind
//! (ignoring the kinds asked for, for a frontend's tabs), the best `keep` matches of the kinds
//! asked for (by relevance with recent content lifted, or by date), and, when asked, the counts per
//! group (category or field) and per site. The pass has a budget of CPU time: a query that would
//! cost more stops where it is, and its counts are extrapolated from the share of the index it read
//! (the answer then says its total is an estimate).

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

use super::source::Kind;

/// How often (in matches) the pass looks at the clock.
const CLOCK_EVERY: u32 = 1024;

/// The order of the best matches.
#[derive(Debug, Clone, Copy)]
pub enum Rank {
    /// The words' weight, lifted for recent content (`now` in seconds since 1970).
    Relevance { now: i64 },
    /// Newest first.
    Date,
}

/// What to gather in the pass.
pub struct Gather {
    /// The kinds the best matches are taken from (each kind's bit); every kind when 0.
    pub kinds: u8,
    /// How many of the best matches to keep (the page's offset and its length).
    pub keep: usize,
    pub rank: Rank,
    /// Count the matches per group (an article's category, a procedure's or question's field).
    pub groups: bool,
    /// Count the matches per site.
    pub sites: bool,
    /// The CPU time the pass may take on its thread.
    pub budget: Duration,
}

impl Gather {
    pub fn mask(kinds: &[Kind]) -> u8 {
        kinds.iter().fold(0, |mask, k| mask | 1 << k.code())
    }
}

/// Whether a kind (by code) is among those of a mask (every kind when 0).
fn wanted(mask: u8, kind: u64) -> bool {
    mask == 0 || (kind < 8 && mask & (1 << kind) != 0)
}

/// A match among the best: its rank (higher first) and where it is.
#[derive(Debug, Clone, Copy)]
pub struct Ranked {
    pub rank: f64,
    pub address: DocAddress,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    /// Higher rank first; between equals, the later document (the newer one) first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank.total_cmp(&other.rank).then_with(|| {
            (self.address.segment_ord, self.address.doc_id).cmp(&(other.address.segment_ord, other.address.doc_id))
        })
    }
}

/// What the pass found.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Matches per kind, by code (estimated when `estimated`).
    pub counts: [u64; 4],
    /// The best matches of the kinds asked for, best first.
    pub best: Vec<Ranked>,
    /// Matches of the kinds asked for per (kind, group), and per site.
    pub groups: HashMap<(u64, u64), u64>,
    pub sites: HashMap<u64, u64>,
    /// Whether the budget ran out before every match was seen.
    pub estimated: bool,
}

/// One segment's share of the pass.
pub struct SegmentGathered {
    counts: [u64; 4],
    best: Vec<Ranked>,
    groups: HashMap<(u64, u64), u64>,
    sites: HashMap<u64, u64>,
    /// Documents the segment holds, and how many of them the pass went past.
    max_doc: u64,
    scanned: u64,
}

pub struct SegmentGather {
    segment: SegmentOrdinal,
    kinds_mask: u8,
    keep: usize,
    rank: Rank,
    kinds: Option<Column<u64>>,
    dates: Option<Column<i64>>,
    /// Read only when their counts are asked for.
    groups: Option<Column<u64>>,
    sites: Option<Column<u64>>,
    heap: BinaryHeap<Reverse<Ranked>>,
    out: SegmentGathered,
}

impl Collector for Gather {
    type Fruit = Gathered;
    type Child = SegmentGather;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentGather> {
        let fast = reader.fast_fields();
        Ok(SegmentGather {
            segment,
            kinds_mask: self.kinds,
            keep: self.keep,
            rank: self.rank,
            kinds: fast.u64("kind").ok(),
            dates: fast.i64("date").ok(),
            groups: if self.groups { fast.u64("group").ok() } else { None },
            sites: if self.sites { fast.u64("site").ok() } else { None },
            heap: BinaryHeap::with_capacity(self.keep.min(1024) + 1),
            out: SegmentGathered {
                counts: [0; 4],
                best: Vec::new(),
                groups: HashMap::new(),
                sites: HashMap::new(),
                max_doc: u64::from(reader.max_doc()),
                scanned: 0,
            },
        })
    }

    fn requires_scoring(&self) -> bool {
        matches!(self.rank, Rank::Relevance { .. })
    }

    /// The matches one by one, looking at the thread's CPU clock every [`CLOCK_EVERY`] of them.
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentGathered> {
        let mut child = self.for_segment(segment, reader)?;
        let deadline = thread_cpu_time().map(|t| t + self.budget);
        let alive = reader.alive_bitset();
        let scoring = self.requires_scoring();
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        let mut seen = 0u32;
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                let score = if scoring { scorer.score() } else { 0.0 };
                child.collect(doc, score);
            }
            seen += 1;
            if seen.is_multiple_of(CLOCK_EVERY)
                && deadline.is_some_and(|d| thread_cpu_time().is_some_and(|now| now > d))
            {
                child.out.scanned = u64::from(doc) + 1;
                return Ok(child.harvest());
            }
            doc = scorer.advance();
        }
        child.out.scanned = child.out.max_doc;
        Ok(child.harvest())
    }

    fn merge_fruits(&self, fruits: Vec<SegmentGathered>) -> tantivy::Result<Gathered> {
        let (max_doc, scanned): (u64, u64) = fruits.iter().fold((0, 0), |(m, s), f| (m + f.max_doc, s + f.scanned));
        let estimated = scanned < max_doc;
        let scale = |n: u64| {
            if estimated && scanned > 0 { (n as f64 * max_doc as f64 / scanned as f64).round() as u64 } else { n }
        };
        let mut out = Gathered { estimated, ..Gathered::default() };
        let mut best = Vec::new();
        for fruit in fruits {
            for (total, n) in out.counts.iter_mut().zip(fruit.counts) {
                *total += n;
            }
            for (key, n) in fruit.groups {
                *out.groups.entry(key).or_default() += n;
            }
            for (key, n) in fruit.sites {
                *out.sites.entry(key).or_default() += n;
            }
            best.extend(fruit.best);
        }
        best.sort_unstable_by(|a, b| b.cmp(a));
        best.truncate(self.keep);
        out.best = best;
        out.counts = out.counts.map(scale);
        out.groups.values_mut().for_each(|n| *n = scale(*n));
        out.sites.values_mut().for_each(|n| *n = scale(*n));
        Ok(out)
    }
}

impl SegmentCollector for SegmentGather {
    type Fruit = SegmentGathered;

    fn collect(&mut self, doc: DocId, score: Score) {
        let kind = self.kinds.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        if let Some(count) = self.out.counts.get_mut(kind as usize) {
            *count += 1;
        }
        if !wanted(self.kinds_mask, kind) {
            return;
        }
        if let Some(group) = self.groups.as_ref().and_then(|c| c.first(doc)) {
            *self.out.groups.entry((kind, group)).or_default() += 1;
        }
        if let Some(site) = self.sites.as_ref().and_then(|c| c.first(doc)) {
            *self.out.sites.entry(site).or_default() += 1;
        }
        if self.keep == 0 {
            return;
        }
        let date = self.dates.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        let rank = match self.rank {
            Rank::Date => date as f64,
            Rank::Relevance { now } => {
                let age_days = (now - date).max(0) as f64 / 86_400.0;
                // Recent content lifted by up to 30 %, half of that after six months.
                f64::from(score) * (1.0 + 0.3 / (1.0 + age_days / 180.0))
            }
        };
        let ranked = Ranked { rank, address: DocAddress::new(self.segment, doc) };
        if self.heap.len() < self.keep {
            self.heap.push(Reverse(ranked));
        } else if self.heap.peek().is_some_and(|Reverse(worst)| ranked > *worst) {
            self.heap.pop();
            self.heap.push(Reverse(ranked));
        }
    }

    fn harvest(mut self) -> SegmentGathered {
        self.out.best = self.heap.into_iter().map(|Reverse(r)| r).collect();
        self.out
    }
}

/// The CPU time this thread has used (`None` where the clock cannot be read).
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    ok.then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}
