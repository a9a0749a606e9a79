#!/usr/bin/env python3
"""Write a small .xlsx from a CSV file, the way Excel would store it, for
the import tests (standard library only: zipfile writes the package).

  mkxlsx.py IN.csv OUT.xlsx [--sheet NAME] [--numbers] [--inline]
            [--date1904] [--merge A1:B1]... [--cell REF=KIND:VALUE]...
            [--first-sheet NAME] [--skip-row N]

--numbers   cells that look like numbers (no leading zero) are stored as
            numbers, as Excel does when a CSV is opened
--inline    strings as inline strings instead of the shared table
--cell      override one cell: KIND n (number), s (string), b (boolean),
            e (error), f (formula: VALUE is FORMULA;CACHED), empty
--first-sheet  put an empty sheet of that name before the data sheet
Cells are written sparse: empty cells are left out and every cell carries
its reference ("AB12"), so rows with gaps test the reader's references.
"""
import argparse
import csv
import datetime
import re
import sys
import zipfile
from xml.sax.saxutils import escape

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def col_name(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def ref_split(ref):
    m = re.fullmatch(r"([A-Z]+)([0-9]+)", ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--sheet", default="Sheet1")
    ap.add_argument("--numbers", action="store_true")
    ap.add_argument("--inline", action="store_true")
    ap.add_argument("--date1904", action="store_true")
    ap.add_argument("--merge", action="append", default=[])
    ap.add_argument("--cell", action="append", default=[])
    ap.add_argument("--first-sheet")
    ap.add_argument("--skip-row", type=int, action="append", default=[])
    ap.add_argument("--serial-dates", action="store_true",
                    help="YYYY-MM-DD cells as Excel serial day numbers")
    a = ap.parse_args()

    with open(a.src, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    cells = {}
    for r, row in enumerate(rows, 1):
        if r in a.skip_row:
            continue
        for c, v in enumerate(row):
            if v == "":
                continue
            if a.serial_dates and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v):
                d = datetime.date.fromisoformat(v)
                base = datetime.date(1904, 1, 1) if a.date1904 else \
                    datetime.date(1899, 12, 30)  # 1900 system past Feb 28
                cells[(r, c)] = ("n", str((d - base).days))
            elif a.numbers and re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", v):
                cells[(r, c)] = ("n", v)
            else:
                cells[(r, c)] = ("s", v)
    for spec in a.cell:
        ref, _, kv = spec.partition("=")
        kind, _, value = kv.partition(":")
        key = ref_split(ref)
        if kind == "empty":
            cells.pop(key, None)
        else:
            cells[key] = (kind, value)

    shared = []
    index = {}

    def sst(v):
        if v not in index:
            index[v] = len(shared)
            shared.append(v)
        return index[v]

    out = []
    for r in sorted({k[0] for k in cells}):
        out.append('<row r="%d">' % r)
        for c in sorted(k[1] for k in cells if k[0] == r):
            kind, v = cells[(r, c)]
            ref = "%s%d" % (col_name(c), r)
            if kind == "n":
                out.append('<c r="%s"><v>%s</v></c>' % (ref, v))
            elif kind == "b":
                out.append('<c r="%s" t="b"><v>%s</v></c>' % (ref, v))
            elif kind == "e":
                out.append('<c r="%s" t="e"><v>%s</v></c>' % (ref, escape(v)))
            elif kind == "f":
                formula, _, cached = v.partition(";")
                t = "" if re.fullmatch(r"-?[0-9.]+", cached) else ' t="str"'
                out.append('<c r="%s"%s><f>%s</f><v>%s</v></c>'
                           % (ref, t, escape(formula), escape(cached)))
            elif a.inline:
                out.append('<c r="%s" t="inlineStr"><is><t>%s</t></is></c>'
                           % (ref, escape(v)))
            else:
                out.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, sst(v)))
        out.append("</row>")
    merges = ""
    if a.merge:
        merges = '<mergeCells count="%d">%s</mergeCells>' % (
            len(a.merge), "".join('<mergeCell ref="%s"/>' % m for m in a.merge))
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="%s" xmlns:r="%s"><sheetData>%s</sheetData>%s'
             '</worksheet>' % (NS, RNS, "".join(out), merges))
    sst_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
               % (NS, len(shared), len(shared), "".join(
                   # a phonetic run, as Japanese and Chinese Excel may
                   # add: not part of the text
                   '<si><t xml:space="preserve">%s</t><rPh sb="0" eb="1">'
                   '<t>ピン</t></rPh></si>' % escape(s) for s in shared)))
    sheets = []
    rels = []
    if a.first_sheet:
        sheets.append((a.first_sheet, "rId9", "worksheets/sheet9.xml"))
    sheets.append((a.sheet, "rId1", "worksheets/sheet1.xml"))
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<workbook xmlns="%s" xmlns:r="%s"><workbookPr%s/><sheets>%s'
          '</sheets></workbook>' % (NS, RNS,
                                    ' date1904="1"' if a.date1904 else "",
                                    "".join('<sheet name="%s" sheetId="%d" r:id="%s"/>'
                                            % (escape(n), i + 1, rid)
                                            for i, (n, rid, _) in enumerate(sheets))))
    for n, rid, target in sheets:
        rels.append('<Relationship Id="%s" Type="%s/worksheet" Target="%s"/>'
                    % (rid, RNS, target))
    rels.append('<Relationship Id="rId5" Type="%s/sharedStrings" '
                'Target="sharedStrings.xml"/>' % RNS)
    with zipfile.ZipFile(a.out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(rels) + "</Relationships>")
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if a.first_sheet:
            z.writestr("xl/worksheets/sheet9.xml",
                       '<worksheet xmlns="%s"><sheetData/></worksheet>' % NS)
        z.writestr("xl/sharedStrings.xml", sst_xml)


if __name__ == "__main__":
    sys.exit(main())
