//! Classic job-shop benchmark instances (OR-Library format) and their
//! conversion into a [`Model`], for measuring plan quality.
//!
//! Format: an optional header comment `# NAME: ...; optimum=… lower_bound=…
//! upper_bound=…`, then `J M`, then one line per job listing its operations
//! in routing order as `machine duration` pairs (machine 0-based). Parsing is
//! pure; reading the files is the benchmark binary's job.

use thiserror::Error;

use crate::builder::ModelBuilder;
use crate::calendar::Calendar;
use crate::error::ModelError;
use crate::model::{Alternative, Machine, Model, Operation, Order};

/// A parsed job-shop instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobShop {
    /// Number of machines.
    pub machines: usize,
    /// Per job, its operations in routing order as `(machine, duration)`.
    pub jobs: Vec<Vec<(usize, i64)>>,
    /// Proven optimal makespan, from the header.
    pub optimum: Option<i64>,
    /// Best known makespan (upper bound), from the header.
    pub upper_bound: Option<i64>,
    /// Best known lower bound, from the header.
    pub lower_bound: Option<i64>,
}

/// Why an instance text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JobShopError {
    /// The `J M` line is missing or malformed.
    #[error("line {line}: expected \"<jobs> <machines>\"")]
    BadSize {
        /// 1-based line number.
        line: usize,
    },
    /// A job line is malformed.
    #[error("line {line}: {reason}")]
    BadJob {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Fewer job lines than announced.
    #[error("expected {expected} jobs, found {found}")]
    MissingJobs {
        /// Announced jobs.
        expected: usize,
        /// Job lines found.
        found: usize,
    },
}

impl JobShop {
    /// Parses the instance text.
    pub fn parse(text: &str) -> Result<Self, JobShopError> {
        let mut header = Header::default();
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| {
                if let Some(comment) = l.strip_prefix('#') {
                    header.read(comment);
                    return false;
                }
                !l.is_empty()
            });
        let (line, size) = lines.next().ok_or(JobShopError::BadSize { line: 1 })?;
        let nums: Vec<usize> = size.split_whitespace().filter_map(|t| t.parse().ok()).collect();
        let [jobs, machines] = nums[..] else {
            return Err(JobShopError::BadSize { line });
        };
        let mut parsed = Vec::with_capacity(jobs);
        for (line, text) in lines.take(jobs) {
            parsed.push(parse_job(line, text, machines)?);
        }
        if parsed.len() < jobs {
            return Err(JobShopError::MissingJobs {
                expected: jobs,
                found: parsed.len(),
            });
        }
        Ok(Self {
            machines,
            jobs: parsed,
            optimum: header.optimum,
            upper_bound: header.upper_bound,
            lower_bound: header.lower_bound,
        })
    }

    /// The best known makespan: the optimum, else the upper bound.
    pub fn best_known(&self) -> Option<i64> {
        self.optimum.or(self.upper_bound)
    }

    /// The instance as a model: one order per job (no due date), one
    /// always-available machine each, routing chains, no setups.
    pub fn to_model(&self) -> Result<Model, ModelError> {
        let mut b = ModelBuilder::new();
        let machines: Vec<_> = (0..self.machines)
            .map(|m| b.add_machine(Machine::new(format!("M{m}"), Calendar::always())))
            .collect();
        for (j, job) in self.jobs.iter().enumerate() {
            let order = b.add_order(Order::new(format!("J{j}")));
            let ops: Vec<_> = job
                .iter()
                .enumerate()
                .map(|(k, &(m, d))| {
                    let alt = Alternative::nominal(machines[m]);
                    b.add_operation(Operation::new(format!("J{j}/{k}"), order, 0, d, vec![alt]))
                })
                .collect();
            b.add_chain(&ops);
        }
        b.build()
    }
}

fn parse_job(line: usize, text: &str, machines: usize) -> Result<Vec<(usize, i64)>, JobShopError> {
    let bad = |reason: String| JobShopError::BadJob { line, reason };
    let nums = text
        .split_whitespace()
        .map(|t| {
            t.parse::<i64>()
                .map_err(|_| bad(format!("{t:?} is not a number")))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    if nums.len() % 2 != 0 {
        return Err(bad("odd number of values".into()));
    }
    nums.chunks_exact(2)
        .map(|pair| match usize::try_from(pair[0]) {
            Ok(m) if m < machines && pair[1] >= 0 => Ok((m, pair[1])),
            _ => Err(bad(format!("bad operation \"{} {}\"", pair[0], pair[1]))),
        })
        .collect()
}

/// Bounds read from the header comment.
#[derive(Debug, Default)]
struct Header {
    optimum: Option<i64>,
    upper_bound: Option<i64>,
    lower_bound: Option<i64>,
}

impl Header {
    fn read(&mut self, comment: &str) {
        for token in comment.split(|c: char| c.is_whitespace() || c == ';' || c == ',') {
            let Some((key, value)) = token.split_once('=') else {
                continue;
            };
            let Ok(value) = value.parse::<i64>() else { continue };
            match key {
                "optimum" => self.optimum = Some(value),
                "upper_bound" => self.upper_bound = Some(value),
                "lower_bound" => self.lower_bound = Some(value),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_jobs_are_read() {
        let text = "# t: 2 jobs x 2 machines; optimum=7 lower_bound=7 upper_bound=7\n2 2\n0 3 1 2\n1 4 0 3\n";
        let js = JobShop::parse(text).expect("valid instance");
        assert_eq!(js.jobs, vec![vec![(0, 3), (1, 2)], vec![(1, 4), (0, 3)]]);
        assert_eq!(js.best_known(), Some(7));
    }

    #[test]
    fn machine_index_out_of_range_is_rejected() {
        let err = JobShop::parse("1 2\n0 3 2 2\n");
        assert!(
            matches!(err, Err(JobShopError::BadJob { line: 2, .. })),
            "{err:?}"
        );
    }
}
