//! Small text encodings the Camtrap DP mapping needs: our `trailmesh:` tags inside the
//! pipe-separated `deploymentTags` / `observationTags`, and local file paths as `file://`
//! URLs (the `media.filePath` pattern forbids paths starting with `/`).

/// Tag on every piece of a deployment that was split at its malfunction windows; the value
/// is the id of the deployment the pieces are merged back into on import.
pub(crate) const TAG_DEPLOYMENT: &str = "trailmesh:deployment=";
/// Tag on a piece after the first: the reason of the outage that preceded it.
pub(crate) const TAG_MALFUNCTION: &str = "trailmesh:malfunction=";
/// Tag on an event-level observation: the event's best media file.
pub(crate) const TAG_BEST_MEDIA: &str = "trailmesh:bestMedia=";
/// Every tag of ours starts with this.
pub(crate) const TAG_PREFIX: &str = "trailmesh:";

/// Encodes a tag value so that it survives the pipe-separated list: `%`, `|` and
/// whitespace at either end are percent-encoded.
pub(crate) fn encode_tag_value(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let first_inner = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(chars.len());
    let last_inner = chars.iter().rposition(|c| !c.is_whitespace()).map_or(0, |i| i + 1);
    let mut out = String::with_capacity(value.len());
    for (i, c) in chars.iter().enumerate() {
        let edge = i < first_inner || i >= last_inner;
        if *c == '%' || *c == '|' || (edge && c.is_whitespace()) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(*c);
        }
    }
    out
}

/// Decodes `%XX` sequences (invalid ones are kept as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A tag list split into the tags that are not ours (kept verbatim, for the model's `tags`)
/// and our `trailmesh:` tags.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SplitTags {
    /// The other tags, as written (`None` when nothing is left).
    pub others: Option<String>,
    /// Value of `trailmesh:deployment=`.
    pub deployment: Option<String>,
    /// Value of `trailmesh:malfunction=`.
    pub malfunction: Option<String>,
    /// Value of `trailmesh:bestMedia=`.
    pub best_media: Option<String>,
}

/// Splits a pipe-separated tag list (see [`SplitTags`]).
pub(crate) fn split_tags(raw: Option<&str>) -> SplitTags {
    let Some(raw) = raw else {
        return SplitTags::default();
    };
    let mut split = SplitTags::default();
    let mut kept: Vec<&str> = Vec::new();
    for segment in raw.split('|') {
        let tag = segment.trim();
        if let Some(v) = tag.strip_prefix(TAG_DEPLOYMENT) {
            split.deployment = Some(percent_decode(v));
        } else if let Some(v) = tag.strip_prefix(TAG_MALFUNCTION) {
            split.malfunction = Some(percent_decode(v));
        } else if let Some(v) = tag.strip_prefix(TAG_BEST_MEDIA) {
            split.best_media = Some(percent_decode(v));
        } else if tag.starts_with(TAG_PREFIX) {
            // A tag of a later trailmesh version: not ours to keep as user text.
        } else {
            kept.push(segment);
        }
    }
    let others = kept.join("|");
    let others = others.trim_end();
    split.others = if others.trim().is_empty() {
        None
    } else {
        Some(others.to_string())
    };
    split
}

/// Appends our tags to a tag list, `" | "`-separated as Camtrap DP recommends.
pub(crate) fn join_tags(existing: Option<&str>, ours: &[String]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(e) = existing.map(str::trim_end).filter(|e| !e.trim().is_empty()) {
        parts.push(e.to_string());
    }
    parts.extend(ours.iter().cloned());
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" | "))
    }
}

/// Writes a media path for `media.filePath`. Absolute local paths (`/data/cam1/x.jpg`),
/// which the Camtrap DP pattern forbids, become `file://` URLs (percent-encoded, `..`
/// included); a leading `./` is dropped; anything else is written as it is.
pub(crate) fn export_file_path(path: &str) -> String {
    if path.starts_with('/') {
        let bytes = path.as_bytes();
        let mut out = String::from("file://");
        for (i, &b) in bytes.iter().enumerate() {
            let dot_run = b == b'.' && ((i > 0 && bytes[i - 1] == b'.') || bytes.get(i + 1) == Some(&b'.'));
            if (b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')) && !dot_run {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    } else {
        let mut p = path;
        while let Some(rest) = p.strip_prefix("./") {
            p = rest;
        }
        p.to_string()
    }
}

/// Reads `media.filePath` back: a `file://` URL of this machine (`file:///...` or
/// `file://localhost/...`) becomes the local path; anything else is kept.
pub(crate) fn import_file_path(value: &str) -> String {
    let rest = value
        .strip_prefix("file://localhost/")
        .map(|r| format!("/{r}"))
        .or_else(|| value.strip_prefix("file:///").map(|r| format!("/{r}")));
    match rest {
        Some(p) => percent_decode(&p),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_values_survive_pipes_percent_and_edge_spaces() {
        for v in [
            "battery dead",
            "a|b",
            "100% fogged",
            " lead",
            "trail ",
            "x%7Cy",
            "ünïcode | ok",
        ] {
            let enc = encode_tag_value(v);
            assert!(!enc.contains('|'), "{enc}");
            assert_eq!(enc.trim(), enc);
            assert_eq!(percent_decode(&enc), v);
        }
    }

    #[test]
    fn our_tags_are_split_from_the_users_tags() {
        let joined = join_tags(
            Some("forest edge|bait:food"),
            &[
                format!("{TAG_DEPLOYMENT}D1"),
                format!("{TAG_MALFUNCTION}{}", encode_tag_value("lens | fog")),
            ],
        )
        .unwrap();
        assert_eq!(
            joined,
            "forest edge|bait:food | trailmesh:deployment=D1 | trailmesh:malfunction=lens %7C fog"
        );
        let s = split_tags(Some(&joined));
        assert_eq!(s.others.as_deref(), Some("forest edge|bait:food"));
        assert_eq!(s.deployment.as_deref(), Some("D1"));
        assert_eq!(s.malfunction.as_deref(), Some("lens | fog"));
        let s = split_tags(Some(
            &join_tags(Some("a | b"), &[format!("{TAG_DEPLOYMENT}D1")]).unwrap(),
        ));
        assert_eq!(s.others.as_deref(), Some("a | b"));
        let s = split_tags(Some("trailmesh:deployment=D1"));
        assert_eq!(s.others, None);
    }

    #[test]
    fn absolute_paths_become_file_urls_and_come_back() {
        for p in [
            "/data/cam 1/IMG_0001.JPG",
            "/a/../b/c.jpg",
            "/x/100%/ü.jpg",
            "/.hidden/x.jpg",
        ] {
            let url = export_file_path(p);
            assert!(url.starts_with("file:///"), "{url}");
            assert!(!url.contains(".."), "{url}");
            assert!(!url.contains(' '), "{url}");
            assert_eq!(import_file_path(&url), p);
        }
        assert_eq!(export_file_path("cam1/IMG_0001.JPG"), "cam1/IMG_0001.JPG");
        assert_eq!(export_file_path("./cam1/x.jpg"), "cam1/x.jpg");
        assert_eq!(
            import_file_path("https://example.org/a%20b.jpg"),
            "https://example.org/a%20b.jpg"
        );
        assert_eq!(import_file_path("file://localhost/a/b.jpg"), "/a/b.jpg");
    }
}
