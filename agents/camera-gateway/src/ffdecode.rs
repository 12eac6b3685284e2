//! FFmpeg's decoders (libavcodec from the system, through `ffmpeg-next`), for streams openh264
//! cannot decode: H.264 Main and High profiles with B-frames, as IP cameras send them, and VP8,
//! what browsers send by default.
//! Pictures come out in presentation order, each with the timestamp its packet carried.

use ffmpeg_next as ff;

/// One stream's FFmpeg decoder and its RGB converter.
pub struct FfDecoder {
    decoder: ff::decoder::Video,
    picture: ff::frame::Video,
    rgb: ff::frame::Video,
    scaler: Option<(ff::software::scaling::Context, (ff::format::Pixel, u32, u32))>,
}

impl std::fmt::Debug for FfDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FfDecoder")
    }
}

impl FfDecoder {
    /// An H.264 decoder.
    pub fn h264() -> Result<FfDecoder, String> {
        Self::new(ff::codec::Id::H264, "H.264")
    }

    /// A VP8 decoder.
    pub fn vp8() -> Result<FfDecoder, String> {
        Self::new(ff::codec::Id::VP8, "VP8")
    }

    fn new(id: ff::codec::Id, name: &str) -> Result<FfDecoder, String> {
        ff::init().map_err(|e| format!("FFmpeg: {e}"))?;
        let codec = ff::decoder::find(id).ok_or_else(|| format!("this FFmpeg has no {name} decoder"))?;
        let decoder = ff::codec::context::Context::new_with_codec(codec)
            .decoder()
            .video()
            .map_err(|e| format!("FFmpeg {name} decoder: {e}"))?;
        Ok(FfDecoder {
            decoder,
            picture: ff::frame::Video::empty(),
            rgb: ff::frame::Video::empty(),
            scaler: None,
        })
    }

    /// Sends one frame (an H.264 access unit in Annex-B, or a VP8 frame) with its timestamp.
    pub fn send(&mut self, data: &[u8], pts: i64) -> Result<(), String> {
        let mut packet = ff::Packet::copy(data);
        packet.set_pts(Some(pts));
        packet.set_dts(None);
        self.decoder
            .send_packet(&packet)
            .map_err(|e| format!("decode error: {e}"))
    }

    /// The next picture out, as (timestamp, width, height); kept until the next call.
    pub fn receive(&mut self) -> Option<(i64, u32, u32)> {
        self.decoder.receive_frame(&mut self.picture).ok()?;
        let pts = self.picture.pts().or(self.picture.timestamp()).unwrap_or(0);
        Some((pts, self.picture.width(), self.picture.height()))
    }

    /// The last picture received as packed RGB (width * height * 3 bytes).
    pub fn rgb(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let key = (self.picture.format(), self.picture.width(), self.picture.height());
        if self.scaler.as_ref().is_none_or(|(_, k)| *k != key) {
            let scaler = ff::software::scaling::Context::get(
                key.0,
                key.1,
                key.2,
                ff::format::Pixel::RGB24,
                key.1,
                key.2,
                ff::software::scaling::Flags::BILINEAR,
            )
            .map_err(|e| format!("FFmpeg scaler: {e}"))?;
            self.scaler = Some((scaler, key));
        }
        let (scaler, _) = self.scaler.as_mut().expect("scaler set above");
        scaler
            .run(&self.picture, &mut self.rgb)
            .map_err(|e| format!("FFmpeg scaler: {e}"))?;
        let (w, h) = (key.1 as usize, key.2 as usize);
        let stride = self.rgb.stride(0);
        let data = self.rgb.data(0);
        out.clear();
        out.reserve(w * h * 3);
        for row in 0..h {
            out.extend_from_slice(&data[row * stride..row * stride + w * 3]);
        }
        Ok(())
    }
}
