#!/bin/sh
# Makes the example clips from the public-domain / CC0 photos here: a slow zoom into each (3 s, 8 fps, H.264).
set -e
cd "$(dirname "$0")"
for name in rocket astronaut; do
  ffmpeg -y -v error -loop 1 -i "$name.jpg" -vf "scale=640:-2,zoompan=z='1+0.004*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=24:s=320x240:fps=8" \
    -frames:v 24 -c:v libx264 -pix_fmt yuv420p -movflags +faststart "$name.mp4"
done
