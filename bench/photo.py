"""Writes phone-like photos (4000 x 3000, 12 megapixels, JPEG) for the media benchmark: smooth
light, edges and fine grain, so that they compress and process like real pictures, not like noise
or flat colour. Needs Pillow (installed by bench/run.sh when missing)."""
import random
import sys

from PIL import Image, ImageDraw, ImageFilter

out_dir, count = sys.argv[1], int(sys.argv[2])
for n in range(count):
    rnd = random.Random(n)
    w, h = 4000, 3000
    sky = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    tint = Image.new("RGB", (w, h), (rnd.randint(60, 200), rnd.randint(90, 200), rnd.randint(120, 230)))
    photo = Image.blend(sky, tint, 0.6)
    draw = ImageDraw.Draw(photo)
    for _ in range(120):
        x, y = rnd.randint(0, w), rnd.randint(h // 3, h)
        bw, bh = rnd.randint(80, 600), rnd.randint(80, 900)
        draw.rectangle([x, y - bh, x + bw, y], fill=(rnd.randint(40, 230), rnd.randint(40, 200), rnd.randint(30, 180)))
    grain = Image.effect_noise((w, h), 18).convert("RGB")
    photo = Image.blend(photo, grain, 0.12).filter(ImageFilter.SMOOTH)
    photo.save(f"{out_dir}/photo-{n}.jpg", quality=88)
