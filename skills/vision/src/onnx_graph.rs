//! Just enough of ONNX's protobuf to free the detector's input from its square.
//!
//! The shipped YOLOX export decodes its boxes inside the graph, with constant anchor grids
//! made for one square input (8,400 anchors at 640). That pins the input at S x S, so an image
//! that is not square costs the model's time on its padding: a 4:3 frame at 640 is a quarter
//! black rows, a 16:9 one almost half. [`open_input`] rewrites the model so that it ends just
//! before that decoding, at the raw head output `[N, anchors, 6]`, and takes any height and
//! width; the detector then decodes the rows itself (grid offset and stride per level) for the
//! smallest padded rectangle that holds the letterboxed image. Same weights, same resize,
//! same decoding, only less padding.
//!
//! It first checks that the decoding it removes is exactly YOLOX's: the graph's one output is
//! `Concat((Slice(T)[0:2] + grid) * stride, exp(Slice(T)[2:4]) * stride, Slice(T)[4:])`, the
//! stride constant runs through square levels of `(S / s)^2` anchors each, and the grid holds
//! each anchor's column and row. Any other model is left alone (the detector then feeds it
//! S x S as before).

use std::collections::HashSet;

/// A model opened by [`open_input`].
#[derive(Debug, Clone)]
pub struct Opened {
    /// The rewritten model (ONNX protobuf).
    pub model: Vec<u8>,
    /// The strides of the head's levels, smallest first (8, 16, 32 for YOLOX): level `k` has
    /// one anchor per `strides[k]` x `strides[k]` cell, rows of cells top to bottom.
    pub strides: Vec<usize>,
}

/// Why a model could not be opened (it is then used as it is).
pub type Refusal = String;

/// Rewrites a YOLOX detector with in-graph decoding into one that takes any input height and
/// width and outputs the raw head rows; see the module documentation.
pub fn open_input(model: &[u8]) -> Result<Opened, Refusal> {
    let fields = wire::fields(model).ok_or("not an ONNX protobuf")?;
    let graph_field = fields.iter().find(|f| f.num == 7).ok_or("the model has no graph")?;
    let graph = graph_field.bytes().ok_or("the graph is not a message")?;
    let (new_graph, strides) = open_graph(graph)?;
    let mut out = Vec::with_capacity(model.len());
    for f in &fields {
        if f.num == 7 {
            wire::put_len(&mut out, 7, &new_graph);
        } else {
            out.extend_from_slice(f.raw);
        }
    }
    Ok(Opened { model: out, strides })
}

/// One node: its operator, inputs, outputs and (for `Constant`) its tensor.
struct Node<'a> {
    op: &'a str,
    inputs: Vec<&'a str>,
    outputs: Vec<&'a str>,
    value: Option<&'a [u8]>,
}

fn node(buf: &[u8]) -> Option<Node<'_>> {
    let mut n = Node {
        op: "",
        inputs: Vec::new(),
        outputs: Vec::new(),
        value: None,
    };
    for f in wire::fields(buf)? {
        match f.num {
            1 => n.inputs.push(f.str()?),
            2 => n.outputs.push(f.str()?),
            4 => n.op = f.str()?,
            5 => {
                let attr = wire::fields(f.bytes()?)?;
                let named_value = attr.iter().any(|a| a.num == 1 && a.str() == Some("value"));
                if let Some(t) = attr.iter().find(|a| a.num == 5).filter(|_| named_value) {
                    n.value = Some(t.bytes()?);
                }
            }
            _ => {}
        }
    }
    Some(n)
}

/// A constant tensor's dimensions and values (floats or 64-bit integers).
#[derive(Debug, Default, PartialEq)]
struct Tensor {
    dims: Vec<i64>,
    floats: Vec<f32>,
    ints: Vec<i64>,
}

const FLOAT: u64 = 1;
const INT64: u64 = 7;

fn tensor(buf: &[u8]) -> Option<Tensor> {
    let mut t = Tensor::default();
    let mut data_type = 0;
    let mut raw: Option<&[u8]> = None;
    for f in wire::fields(buf)? {
        match (f.num, f.value) {
            (1, _) => t.dims.extend(f.varints()?.into_iter().map(|v| v as i64)),
            (2, wire::Value::Varint(v)) => data_type = v,
            (4, wire::Value::Len(b)) => t.floats.extend(b.chunks_exact(4).map(f32_le)),
            (4, wire::Value::Fixed32(b)) => t.floats.push(f32_le(b)),
            (7, _) => t.ints.extend(f.varints()?.into_iter().map(|v| v as i64)),
            (9, wire::Value::Len(b)) => raw = Some(b),
            _ => {}
        }
    }
    if let Some(raw) = raw {
        match data_type {
            FLOAT => t.floats = raw.chunks_exact(4).map(f32_le).collect(),
            INT64 => {
                t.ints = raw
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect()
            }
            _ => return None,
        }
    }
    Some(t)
}

fn f32_le(b: &[u8]) -> f32 {
    f32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The graph's nodes with a way to find what produces a value.
struct Graph<'a> {
    nodes: Vec<Node<'a>>,
}

impl<'a> Graph<'a> {
    fn producer(&self, value: &str) -> Option<&Node<'a>> {
        self.nodes.iter().find(|n| n.outputs.contains(&value))
    }

    /// The node producing `value`, which must be an `op`.
    fn op(&self, value: &str, op: &str) -> Result<&Node<'a>, Refusal> {
        match self.producer(value) {
            Some(n) if n.op == op => Ok(n),
            Some(n) => Err(format!("'{value}' comes from {}, not {op}", n.op)),
            None => Err(format!("nothing produces '{value}'")),
        }
    }

    fn constant(&self, value: &str) -> Option<Tensor> {
        self.producer(value)
            .filter(|n| n.op == "Constant")
            .and_then(|n| tensor(n.value?))
    }

    /// Of a binary node, the input that is a constant and the other one.
    fn split_constant(&self, n: &Node<'a>) -> Result<(Tensor, &'a str), Refusal> {
        let [a, b] = n.inputs[..] else {
            return Err(format!("{} with {} inputs", n.op, n.inputs.len()));
        };
        match (self.constant(a), self.constant(b)) {
            (Some(t), None) => Ok((t, b)),
            (None, Some(t)) => Ok((t, a)),
            _ => Err(format!("{} of '{a}' and '{b}' has no single constant side", n.op)),
        }
    }

    /// `Slice(data, [start], [end], [2])` (step 1 when given): returns `data`.
    fn slice_of_last_axis(&self, value: &str, start: i64, end: i64) -> Result<&'a str, Refusal> {
        let n = self.op(value, "Slice")?;
        let ints = |i: usize| n.inputs.get(i).and_then(|v| self.constant(v)).map(|t| t.ints);
        let ok = ints(1) == Some(vec![start])
            && ints(2).is_some_and(|e| e.len() == 1 && (e[0] == end || (end == i64::MAX && e[0] >= 6)))
            && ints(3) == Some(vec![2])
            && n.inputs.get(4).is_none_or(|_| ints(4) == Some(vec![1]));
        if !ok {
            return Err(format!("'{value}' is not the slice [{start}:{end}] of the last axis"));
        }
        Ok(n.inputs[0])
    }
}

/// The graph with the decoding cut off and a free input size, and the head's strides.
fn open_graph(buf: &[u8]) -> Result<(Vec<u8>, Vec<usize>), Refusal> {
    let fields = wire::fields(buf).ok_or("the graph does not parse")?;
    let nodes: Vec<(usize, Node)> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.num == 1)
        .map(|(i, f)| Some((i, node(f.bytes()?)?)))
        .collect::<Option<_>>()
        .ok_or("a node does not parse")?;
    let (field_of, nodes): (Vec<usize>, Vec<Node>) = nodes.into_iter().unzip();
    let g = Graph { nodes };
    let outputs: Vec<&str> = fields
        .iter()
        .filter(|f| f.num == 12)
        .map(|f| value_info_name(f.bytes()?))
        .collect::<Option<_>>()
        .ok_or("an output does not parse")?;
    let [output] = outputs[..] else {
        return Err(format!("{} outputs, not one", outputs.len()));
    };
    let initializers: HashSet<&str> = fields
        .iter()
        .filter(|f| f.num == 5)
        .filter_map(|f| tensor_name(f.bytes()?))
        .collect();
    let image_inputs: Vec<&wire::Field> = fields
        .iter()
        .filter(|f| f.num == 11)
        .filter(|f| {
            f.bytes()
                .and_then(value_info_name)
                .is_some_and(|n| !initializers.contains(n))
        })
        .collect();
    let [image_input] = image_inputs[..] else {
        return Err(format!("{} image inputs, not one", image_inputs.len()));
    };
    let (in_name, in_dims) = input_dims(image_input.bytes().unwrap_or_default()).ok_or("the input has no shape")?;
    let size = match in_dims[..] {
        [_, wire::Dim::Value(3), wire::Dim::Value(h), wire::Dim::Value(w)] if h == w && h > 0 => h as usize,
        _ => return Err("the input is not [N, 3, S, S]".into()),
    };

    // The decoding: Concat(xy, wh, rest) over the raw rows T.
    let concat = g.op(output, "Concat")?;
    let [xy, wh, rest] = concat.inputs[..] else {
        return Err("the output is not a concat of three parts".into());
    };
    let (stride_xy, add) = g.split_constant(g.op(xy, "Mul")?)?;
    let (grid, sliced_xy) = g.split_constant(g.op(add, "Add")?)?;
    let raw = g.slice_of_last_axis(sliced_xy, 0, 2)?;
    let (stride_wh, exp) = g.split_constant(g.op(wh, "Mul")?)?;
    let exp_in = g.op(exp, "Exp")?.inputs.first().copied().ok_or("Exp without input")?;
    if g.slice_of_last_axis(exp_in, 2, 4)? != raw || g.slice_of_last_axis(rest, 4, i64::MAX)? != raw {
        return Err("the three parts do not slice the same rows".into());
    }
    if stride_xy != stride_wh {
        return Err("box centres and sizes are scaled by different strides".into());
    }
    let strides = check_grid(&grid, &stride_xy, size)?;

    // Keep what computes the raw rows, in the original order.
    let mut needed: HashSet<&str> = HashSet::from([raw]);
    let mut keep = vec![false; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate().rev() {
        if n.outputs.iter().any(|o| needed.contains(o)) {
            keep[i] = true;
            needed.extend(n.inputs.iter().copied().filter(|v| !v.is_empty()));
        }
    }
    let kept_fields: HashSet<usize> = field_of
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(f, _)| *f)
        .collect();

    let mut out = Vec::with_capacity(buf.len());
    let mut output_written = false;
    for (i, f) in fields.iter().enumerate() {
        match f.num {
            1 if !kept_fields.contains(&i) => {}
            11 if std::ptr::eq(f, image_input) => {
                let dims = [
                    in_dims[0].clone(),
                    in_dims[1].clone(),
                    wire::Dim::Param("height".into()),
                    wire::Dim::Param("width".into()),
                ];
                wire::put_len(&mut out, 11, &wire::value_info(in_name, &dims));
            }
            12 if !output_written => {
                output_written = true;
                let dims = [
                    wire::Dim::Param("batch".into()),
                    wire::Dim::Param("anchors".into()),
                    wire::Dim::Value(6),
                ];
                wire::put_len(&mut out, 12, &wire::value_info(raw, &dims));
            }
            // Shapes recorded for the square input no longer hold; they are optional.
            13 => {}
            _ => out.extend_from_slice(f.raw),
        }
    }
    Ok((out, strides))
}

/// Checks the grid and stride constants of the decoding against YOLOX's layout for an
/// `size` x `size` input and returns the strides of the levels.
fn check_grid(grid: &Tensor, stride: &Tensor, size: usize) -> Result<Vec<usize>, Refusal> {
    let anchors = stride.floats.len();
    if grid.dims != [1, anchors as i64, 2] || stride.dims != [1, anchors as i64, 1] || grid.floats.len() != 2 * anchors
    {
        return Err(format!(
            "grid {:?} and stride {:?} constants are not [1, A, 2] and [1, A, 1]",
            grid.dims, stride.dims
        ));
    }
    let mut strides = Vec::new();
    let mut at = 0;
    while at < anchors {
        let s = stride.floats[at];
        if !(s >= 1.0 && s.fract() == 0.0 && size.is_multiple_of(s as usize)) {
            return Err(format!("stride {s} does not divide the input size {size}"));
        }
        let s = s as usize;
        if strides.last().is_some_and(|&p| p >= s) {
            return Err("the strides do not grow level by level".into());
        }
        let side = size / s;
        let level = side * side;
        let end = at + level;
        if end > anchors || stride.floats[at..end].iter().any(|&v| v != s as f32) {
            return Err(format!("the level of stride {s} does not have {level} anchors"));
        }
        for k in 0..level {
            let cell = &grid.floats[2 * (at + k)..2 * (at + k) + 2];
            if cell != [(k % side) as f32, (k / side) as f32] {
                return Err(format!(
                    "grid cell {} is {cell:?}, not column {} row {}",
                    at + k,
                    k % side,
                    k / side
                ));
            }
        }
        strides.push(s);
        at = end;
    }
    if strides.is_empty() {
        return Err("no anchors".into());
    }
    Ok(strides)
}

fn value_info_name(buf: &[u8]) -> Option<&str> {
    wire::fields(buf)?.iter().find(|f| f.num == 1)?.str()
}

fn tensor_name(buf: &[u8]) -> Option<&str> {
    wire::fields(buf)?.iter().find(|f| f.num == 8)?.str()
}

/// A tensor input's name and dimensions.
fn input_dims(buf: &[u8]) -> Option<(&str, Vec<wire::Dim>)> {
    let fields = wire::fields(buf)?;
    let name = fields.iter().find(|f| f.num == 1)?.str()?;
    let ty = fields.iter().find(|f| f.num == 2)?.bytes()?;
    let tensor = wire::fields(ty)?.iter().find(|f| f.num == 1)?.bytes()?;
    let tensor_fields = wire::fields(tensor)?;
    if tensor_fields.iter().find(|f| f.num == 1)?.value != wire::Value::Varint(FLOAT) {
        return None;
    }
    let shape = tensor_fields.iter().find(|f| f.num == 2)?.bytes()?;
    let dims = wire::fields(shape)?
        .iter()
        .filter(|f| f.num == 1)
        .map(|f| wire::dim(f.bytes()?))
        .collect::<Option<_>>()?;
    Some((name, dims))
}

/// Protobuf's wire format: fields of a message, read and written.
mod wire {
    /// A field's value.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Value<'a> {
        Varint(u64),
        Fixed64(&'a [u8]),
        Len(&'a [u8]),
        Fixed32(&'a [u8]),
    }

    /// One field of a message, with its bytes as they were (tag included).
    #[derive(Debug)]
    pub struct Field<'a> {
        pub num: u32,
        pub value: Value<'a>,
        pub raw: &'a [u8],
    }

    impl<'a> Field<'a> {
        pub fn bytes(&self) -> Option<&'a [u8]> {
            match self.value {
                Value::Len(b) => Some(b),
                _ => None,
            }
        }

        pub fn str(&self) -> Option<&'a str> {
            std::str::from_utf8(self.bytes()?).ok()
        }

        /// A repeated varint field, packed or not.
        pub fn varints(&self) -> Option<Vec<u64>> {
            match self.value {
                Value::Varint(v) => Some(vec![v]),
                Value::Len(b) => {
                    let mut at = 0;
                    let mut out = Vec::new();
                    while at < b.len() {
                        out.push(varint(b, &mut at)?);
                    }
                    Some(out)
                }
                _ => None,
            }
        }
    }

    fn varint(buf: &[u8], at: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *buf.get(*at)?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    /// The fields of a message, in order; `None` when it is not well formed.
    pub fn fields(buf: &[u8]) -> Option<Vec<Field<'_>>> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < buf.len() {
            let start = at;
            let tag = varint(buf, &mut at)?;
            let num = u32::try_from(tag >> 3).ok().filter(|&n| n > 0)?;
            let value = match tag & 7 {
                0 => Value::Varint(varint(buf, &mut at)?),
                1 => Value::Fixed64(take(buf, &mut at, 8)?),
                2 => {
                    let n = usize::try_from(varint(buf, &mut at)?).ok()?;
                    Value::Len(take(buf, &mut at, n)?)
                }
                5 => Value::Fixed32(take(buf, &mut at, 4)?),
                _ => return None,
            };
            out.push(Field {
                num,
                value,
                raw: &buf[start..at],
            });
        }
        Some(out)
    }

    fn take<'a>(buf: &'a [u8], at: &mut usize, n: usize) -> Option<&'a [u8]> {
        let end = at.checked_add(n).filter(|&e| e <= buf.len())?;
        let b = &buf[*at..end];
        *at = end;
        Some(b)
    }

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Writes a length-delimited field.
    pub fn put_len(out: &mut Vec<u8>, num: u32, payload: &[u8]) {
        put_varint(out, u64::from(num) << 3 | 2);
        put_varint(out, payload.len() as u64);
        out.extend_from_slice(payload);
    }

    fn put_varint_field(out: &mut Vec<u8>, num: u32, v: u64) {
        put_varint(out, u64::from(num) << 3);
        put_varint(out, v);
    }

    /// A tensor dimension: a number or a name.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Dim {
        Value(i64),
        Param(String),
        Unknown,
    }

    pub fn dim(buf: &[u8]) -> Option<Dim> {
        let fields = fields(buf)?;
        Some(match fields.iter().find(|f| f.num == 1 || f.num == 2) {
            Some(Field {
                num: 1,
                value: Value::Varint(v),
                ..
            }) => Dim::Value(*v as i64),
            Some(f) if f.num == 2 => Dim::Param(f.str()?.to_owned()),
            Some(_) => return None,
            None => Dim::Unknown,
        })
    }

    /// A float tensor's `ValueInfoProto`.
    pub fn value_info(name: &str, dims: &[Dim]) -> Vec<u8> {
        let mut shape = Vec::new();
        for d in dims {
            let mut dim = Vec::new();
            match d {
                Dim::Value(v) => put_varint_field(&mut dim, 1, *v as u64),
                Dim::Param(p) => put_len(&mut dim, 2, p.as_bytes()),
                Dim::Unknown => {}
            }
            put_len(&mut shape, 1, &dim);
        }
        let mut tensor = Vec::new();
        put_varint_field(&mut tensor, 1, super::FLOAT);
        put_len(&mut tensor, 2, &shape);
        let mut ty = Vec::new();
        put_len(&mut ty, 1, &tensor);
        let mut info = Vec::new();
        put_len(&mut info, 1, name.as_bytes());
        put_len(&mut info, 2, &ty);
        info
    }
}

#[cfg(test)]
mod tests {
    use super::wire::{Dim, put_len};
    use super::*;

    #[test]
    fn value_infos_written_are_read_back() {
        let dims = [Dim::Param("batch".into()), Dim::Value(3), Dim::Value(640), Dim::Unknown];
        let info = wire::value_info("images", &dims);
        assert_eq!(input_dims(&info), Some(("images", dims.to_vec())));
        assert_eq!(value_info_name(&info), Some("images"));
    }

    #[test]
    fn truncated_or_malformed_messages_are_refused_not_misread() {
        let mut msg = Vec::new();
        put_len(&mut msg, 7, b"graph bytes");
        assert_eq!(wire::fields(&msg).unwrap()[0].bytes(), Some(&b"graph bytes"[..]));
        for cut in 1..msg.len() {
            assert!(wire::fields(&msg[..cut]).is_none(), "cut at {cut}");
        }
        // Field number 0 and the group wire types are not protobuf ONNX writes.
        assert!(wire::fields(&[0x02, 0x00]).is_none());
        assert!(wire::fields(&[0x0b]).is_none());
        assert!(open_input(b"\xff\xff").is_err());
    }

    fn grid_and_strides(size: usize, strides: &[usize]) -> (Tensor, Tensor) {
        let (mut g, mut s) = (Vec::new(), Vec::new());
        for &st in strides {
            let side = size / st;
            for k in 0..side * side {
                g.extend([(k % side) as f32, (k / side) as f32]);
                s.push(st as f32);
            }
        }
        let a = s.len() as i64;
        (
            Tensor {
                dims: vec![1, a, 2],
                floats: g,
                ints: vec![],
            },
            Tensor {
                dims: vec![1, a, 1],
                floats: s,
                ints: vec![],
            },
        )
    }

    #[test]
    fn the_grid_check_reads_yolox_levels_and_refuses_anything_else() {
        let (g, s) = grid_and_strides(64, &[8, 16, 32]);
        assert_eq!(check_grid(&g, &s, 64), Ok(vec![8, 16, 32]));
        // A swapped cell (row-major order broken).
        let mut bad = Tensor {
            floats: g.floats.clone(),
            dims: g.dims.clone(),
            ints: vec![],
        };
        bad.floats.swap(2, 3);
        assert!(check_grid(&bad, &s, 64).unwrap_err().contains("grid cell 1"));
        // Built for another input size.
        assert!(check_grid(&g, &s, 128).is_err());
        // Strides out of order.
        let (g2, s2) = grid_and_strides(64, &[16, 8]);
        assert!(check_grid(&g2, &s2, 64).unwrap_err().contains("grow"));
    }
}
