//! How specific an image tag is: a channel (`latest`, `lts`), a series (`2.7`, `20-slim`,
//! `bookworm`) or a release (`1.4.1`, `2.7.17-slim`, a date or commit).

use crate::syntax::image_ref::ImageRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    Channel,
    Series,
    Release,
}

const CHANNELS: [&str; 10] =
    ["latest", "stable", "edge", "nightly", "dev", "beta", "canary", "lts", "current", "rolling"];

/// Distribution code names and variant words: on their own they follow the newest release.
const SERIES_WORDS: [&str; 30] = [
    "alpine",
    "slim",
    "bookworm",
    "bullseye",
    "buster",
    "stretch",
    "jessie",
    "trixie",
    "forky",
    "sid",
    "noble",
    "jammy",
    "focal",
    "bionic",
    "xenial",
    "oracular",
    "plucky",
    "questing",
    "windowsservercore",
    "nanoserver",
    "ubi",
    "ubi8",
    "ubi9",
    "minimal",
    "fpm",
    "apache",
    "cli",
    "zts",
    "perl",
    "jdk",
];

/// Official images whose releases have two version numbers (`postgres:16.4`).
const TWO_PART_RELEASES: [&str; 2] = ["postgres", "eclipse-temurin"];

/// Tags worth asking about when looking for a version tag that names the same image as
/// `current` (`latest`, `20-slim`, or none): version-shaped tags (`22.11.0`, `v1.2.3`) with the
/// same suffix (`-slim`), most specific and newest first, at most `limit`.
pub fn version_candidates(tags: &[String], current: Option<&str>, limit: usize) -> Vec<String> {
    let suffix = |t: &str| t.split_once('-').map(|(_, s)| s.to_string());
    let wanted_suffix = current.filter(|c| !CHANNELS.contains(c)).and_then(suffix);
    let prefix: Option<Vec<u64>> = current.and_then(|c| numbers(c.split('-').next().unwrap_or(c)));
    let mut candidates: Vec<(Vec<u64>, &String)> = tags
        .iter()
        .filter(|t| suffix(t) == wanted_suffix)
        .filter_map(|t| numbers(t.split('-').next().unwrap_or(t)).map(|n| (n, t)))
        // A series tag (`20`) only matches versions inside it (`20.18.1`).
        .filter(|(n, _)| prefix.as_ref().is_none_or(|p| n.len() > p.len() && n.starts_with(p)))
        .filter(|(n, _)| n.len() >= 2)
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(b.0.len().cmp(&a.0.len())));
    candidates.into_iter().take(limit).map(|(_, t)| t.clone()).collect()
}

/// `v1.2.3` → `[1, 2, 3]`; `None` when not all dot-separated numbers.
fn numbers(version: &str) -> Option<Vec<u64>> {
    let version = version.strip_prefix('v').unwrap_or(version);
    version.split('.').map(|n| n.parse::<u64>().ok()).collect()
}

pub fn classify_tag(image: &ImageRef, tag: &str) -> TagKind {
    let lower = tag.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split(['-', '_']).collect();
    if CHANNELS.contains(&parts[0]) {
        return TagKind::Channel;
    }
    let version = parts[0].strip_prefix('v').unwrap_or(parts[0]);
    if version.starts_with(|c: char| c.is_ascii_digit()) {
        let numbers: Vec<&str> = version.split('.').collect();
        let all_numeric = numbers.iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !all_numeric {
            // `1.4.1rc1`, `2.0b3`, `20240101T…`: a specific build.
            return TagKind::Release;
        }
        if numbers.len() == 1 && numbers[0].len() >= 6 {
            return TagKind::Release; // a date or build number
        }
        if numbers[0].len() == 4 && (1990..2200).contains(&numbers[0].parse::<u32>().unwrap_or(0)) {
            return TagKind::Release; // calendar versioning: `2024.03`
        }
        let needed = if image.is_official() && TWO_PART_RELEASES.contains(&image.short_name()) { 2 } else { 3 };
        return if numbers.len() >= needed { TagKind::Release } else { TagKind::Series };
    }
    let is_series_word = |p: &str| {
        SERIES_WORDS.contains(&p)
            || p.strip_prefix("alpine").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    if parts.iter().all(|p| is_series_word(p)) { TagKind::Series } else { TagKind::Release }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        let cases = [
            ("python:2.7", TagKind::Series),
            ("python:2.7.17", TagKind::Release),
            ("python:2.7.17-slim", TagKind::Release),
            ("python:3.12-slim", TagKind::Series),
            ("node:20", TagKind::Series),
            ("node:lts-alpine", TagKind::Channel),
            ("alpine:3", TagKind::Series),
            ("debian:bookworm", TagKind::Series),
            ("debian:bookworm-slim", TagKind::Series),
            ("python:alpine3.19", TagKind::Series),
            ("python:alpine", TagKind::Series),
            ("ghcr.io/dbt-labs/dbt-core:1.4.1", TagKind::Release),
            ("postgres:16.4", TagKind::Release),
            ("postgres:16", TagKind::Series),
            ("myapp:abc1234", TagKind::Release),
            ("myapp:20240101", TagKind::Release),
            ("nginx:latest", TagKind::Channel),
            ("nginx:stable-perl", TagKind::Channel),
            ("golang:1.22rc1", TagKind::Release),
            ("ubuntu:22.04", TagKind::Series),
            ("registry.internal:5000/base:2024.03", TagKind::Release),
        ];
        for (text, expected) in cases {
            let image = ImageRef::parse(text).unwrap();
            let tag = &text[image.tag.unwrap().as_range()];
            assert_eq!(classify_tag(&image, tag), expected, "{text}");
        }
    }
}

#[cfg(test)]
mod candidate_tests {
    use super::version_candidates;

    #[test]
    fn version_candidates_are_specific_same_suffix_newest_first() {
        let tags: Vec<String> =
            ["latest", "22", "22.11", "22.11.0", "22.10.0", "21.7.3", "22.11.0-slim", "lts", "v23.0.0", "1.0.0.0.0.0"]
                .iter()
                .map(|t| t.to_string())
                .collect();
        assert_eq!(version_candidates(&tags, Some("latest"), 4), ["v23.0.0", "22.11.0", "22.11", "22.10.0"]);
        assert_eq!(version_candidates(&tags, Some("22"), 3), ["22.11.0", "22.11", "22.10.0"]);
        assert_eq!(version_candidates(&tags, Some("22-slim"), 3), ["22.11.0-slim"]);
        assert_eq!(version_candidates(&tags, None, 2), ["v23.0.0", "22.11.0"]);
    }
}
