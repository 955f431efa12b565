"""The default options of the built-in steps, apart from the code that uses them: building a
pipeline from config (and checking it) then loads no image library; numpy, Pillow and scipy
(~30 MB, ~0.5 s) come with the first image a step processes.
"""

# Decoding: limits past which an image is rejected unread.
MAX_PIXELS = 4096 * 4096
MAX_BYTES = 64 * 1024 * 1024

# Encoding.
JPEG_QUALITY = 95
PNG_LEVEL = 2  # zlib-ng level: level 1 (deflate_quick) files are ~35% larger

# Watermark detection. On this score clean boxes measured <= ~0.36 (99% <= 0.25) and most
# watermarked ones >= 0.35; the gain check removes the clean ones that score high, so the
# threshold can sit low (candidates below it need the residue check: watermark.SCORE_FLOOR).
WATERMARK_THRESHOLD = 0.30
# The absolute floor of a fitted gain; clean boxes fit <= ~0.4 on the small maps.
WATERMARK_MIN_GAIN = 0.3
