"""Renders the example invoice and receipt for the document question answering tab (DejaVuSans >= 24 px, OCR-friendly)."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
HERE = Path(__file__).resolve().parent

INVOICE = [
    ("INVOICE", 44, True),
    ("Acme Robotics Ltd, 12 Harbour Road, Bristol", 24, False),
    ("", 24, False),
    ("Invoice number: INV-2024-117", 28, False),
    ("Date: 14 March 2024", 28, False),
    ("Bill to: Sarah Jones, Oak Street 5, London", 28, False),
    ("", 24, False),
    ("Item                       Qty      Price", 26, True),
    ("Servo motor                 4       200.00", 26, False),
    ("Control board               1       350.00", 26, False),
    ("Installation                1       100.00", 26, False),
    ("", 24, False),
    ("Total due: 1,250.00 EUR", 32, True),
    ("Payment within 30 days.", 24, False),
]

RECEIPT = [
    ("CORNER CAFE", 36, True),
    ("Receipt 5531", 26, False),
    ("2 May 2024  08:42", 26, False),
    ("", 24, False),
    ("Cappuccino        3.20", 26, False),
    ("Croissant         2.50", 26, False),
    ("Orange juice      2.80", 26, False),
    ("", 24, False),
    ("TOTAL             8.50", 30, True),
    ("Paid by card", 24, False),
    ("Thank you!", 24, False),
]


def render(lines, size, path):
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    y = 50
    for text, px, bold in lines:
        font = ImageFont.truetype(BOLD if bold else FONT, px)
        draw.text((60, y), text, font=font, fill="black")
        y += int(px * 1.6)
    page.save(path)


if __name__ == "__main__":
    render(INVOICE, (900, 820), HERE / "invoice.png")
    render(RECEIPT, (560, 640), HERE / "receipt.png")
