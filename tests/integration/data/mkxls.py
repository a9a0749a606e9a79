#!/usr/bin/python3
"""Regenerate the .xls fixtures from the CSV fixtures of this directory
(needs python3-xlwt, which the tests themselves do not: the .xls files are
checked in). Numbers are stored as numbers and dates as date cells, as
Excel stores what a person types; identity numbers and ids stay text.

  /usr/bin/python3 mkxls.py   # writes villages.xls households.xls members.xls
"""
import csv
import datetime
import re

import xlwt

DATE = xlwt.easyxf(num_format_str="YYYY-MM-DD")
NUMERIC = {"size", "identified_year", "lifted_year", "income_per_capita",
           "food", "clothing", "education", "medical", "housing"}
DATES = {"birth_date", "change_date"}


def convert(name, sheet):
    with open(name + ".csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    header = rows[0]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            col = header[c]
            if r == 0 or v == "":
                if v != "":
                    ws.write(r, c, v)
            elif col in NUMERIC and re.fullmatch(r"[0-9]+(\.[0-9]+)?", v):
                ws.write(r, c, float(v) if "." in v else int(v))
            elif col in DATES:
                ws.write(r, c, datetime.date.fromisoformat(v), DATE)
            else:
                ws.write(r, c, v)
    book.save(name + ".xls")


convert("villages", "行政村")
convert("households", "户信息")
convert("members", "家庭成员")
