# SPDX-License-Identifier: MIT
"""optcov.py ROOT - every option in the code's tables is in a man page, and
every option a page documents is in the code: odmagent.conf directives
(config.c's directive table) against the .It Ic entries of
man/odmagent.conf.5; odmagent's and odmctl's getopt tables (short option
string and struct option array) against the .It Fl entries of
man/odmagent.8 and man/odmctl.8 and against their SYNOPSIS; odmctl's
command table against the .It Cm entries of man/odmctl.8; the event kinds
the agent emits and the list its monitor filter takes (odmagent/events.c)
against the .It Li entries of EVENTS in man/odmctl.8; and, given the built
odmagent and odmctl (optcov.py ROOT ODMAGENT ODMCTL), each program's --help
against its getopt table, and the usage line of each "odmctl CMD --help"
against the options of that command's .It Cm entry. Prints one line
per option missing on either side, naming it; exit 1 if any."""
import glob
import re
import subprocess
import sys

root = sys.argv[1]


def read(path):
    with open(f"{root}/{path}", encoding="utf-8") as f:
        return f.read()


def block(text, start):
    """The initializer that follows the first occurrence of start, to '};'."""
    i = text.index(start)
    return text[i:text.index("};", i)]


def getopt_table(path):
    """Options of the getopt_long() call in path: {'-x', '--long'}."""
    src = read(path)
    opts = set()
    short = re.search(r'getopt_long\(argc, argv, "([^"]*)"', src).group(1)
    for c in short.lstrip("+:"):
        if c != ":":
            opts.add("-" + c)
    for name, letter in re.findall(
            r'\{\s*"([a-z-]+)",\s*\w+_argument,\s*NULL,\s*\'(\w)\'\s*\}',
            block(src, "struct option longopts[]")):
        opts.add("--" + name)
        if letter in short:  # else a long-only option's internal value
            opts.add("-" + letter)
    return opts


def page_flags(page):
    """Options a page describes in its lists (.It Fl ...) and SYNOPSIS."""
    text = read(page)
    items, synopsis = set(), set()
    for line in text.splitlines():
        if line.startswith(".It Fl "):
            # a long option's inner hyphens may be escaped too (\-)
            for m in re.finditer(r'Fl \\-([a-z](?:[a-z-]|\\-)*)|Fl ([A-Za-z])\b', line):
                items.add("--" + m.group(1).replace("\\", "") if m.group(1)
                          else "-" + m.group(2))
    syn = text[text.index(".Sh SYNOPSIS"):text.index(".Sh DESCRIPTION")]
    for m in re.finditer(r'Fl ([A-Za-z]+)\b', syn):
        for c in m.group(1):
            synopsis.add("-" + c)
    return items, synopsis


def page_items(page, macro):
    """First word after '.It <macro>' on each list item of a page."""
    return set(re.findall(rf'(?m)^\.It {macro} ([a-z][a-z0-9-]*)', read(page)))


missing = []


def compare(what, code, page, page_name, code_name):
    for o in sorted(code - page):
        missing.append(f"{what} {o}: in {code_name}, not documented in {page_name}")
    for o in sorted(page - code):
        missing.append(f"{what} {o}: documented in {page_name}, not in {code_name}")


# odmagent.conf directives
directives = set(re.findall(r'\{\s*"([a-z-]+)",\s*-?\w+,\s*\w+,\s*d_\w+\s*\}',
                            block(read("odmagent/config.c"), "struct directive directives[]")))
compare("directive", directives, page_items("man/odmagent.conf.5", "Ic"),
        "man/odmagent.conf.5", "odmagent/config.c")

# command-line options
for prog, src, page in (("odmagent", "odmagent/main.c", "man/odmagent.8"),
                        ("odmctl", "odmagent/ctl/odmctl.c", "man/odmctl.8")):
    code = getopt_table(src)
    items, synopsis = page_flags(page)
    compare(f"{prog} option", code, items, f"{page} (options list)", src)
    compare(f"{prog} option", {o for o in code if not o.startswith("--")}, synopsis,
            f"{page} (SYNOPSIS)", src)

# odmctl commands
commands = set(re.findall(r'\{\s*"([a-z-]+)",\s*cmd_\w+,',
                          block(read("odmagent/ctl/odmctl.c"), "struct ctl_cmd commands[]")))
compare("odmctl command", commands, page_items("man/odmctl.8", "Cm"), "man/odmctl.8",
        "odmagent/ctl/odmctl.c")

# event kinds: those the agent emits (a literal kind in an emit call of
# odmagent/*.c), the list a monitor's "events" filter is checked against
# (events_kinds[] of odmagent/events.c) and the .It Li entries of odmctl.8
# EVENTS
emitted = set()
for path in sorted(glob.glob(f"{root}/odmagent/*.c")):
    if not path.endswith("/events.c"):
        with open(path, encoding="utf-8") as f:
            emitted |= set(re.findall(
                r'emit(?:_to)?\(\s*[^,"()]+(?:\([^)]*\))?,\s*"([a-z-]+)"', f.read()))
kinds = set(re.findall(r'"([a-z-]+)"', block(read("odmagent/events.c"),
                                             "const char *const events_kinds[]")))
ctl8 = read("man/odmctl.8")
listed = set(re.findall(r'(?m)^\.It Li ([a-z][a-z-]*)',
                        ctl8[ctl8.index(".Sh EVENTS"):ctl8.index(".Sh ENVIRONMENT")]))
# "lost" is written by the control socket itself, to the monitor that lost
# events (mon_tell_lost of odmagent/control.c), not emitted to all
if re.search(r'"event", "lost"', read("odmagent/control.c")):
    emitted.add("lost")
compare("event kind", emitted, listed, "man/odmctl.8 (EVENTS)", "an emit call of odmagent/*.c")
compare("event kind", kinds, listed, "man/odmctl.8 (EVENTS)", "events_kinds[] of odmagent/events.c")

# with the built programs (optcov.py ROOT ODMAGENT ODMCTL): their --help
# names every option of their getopt tables, and each odmctl command's
# usage line ("odmctl CMD --help") has the options its .It Cm line of
# man/odmctl.8 has
helps = 0
if len(sys.argv) > 3:
    def run_help(*argv):
        return subprocess.run(list(argv) + ["--help"], capture_output=True, text=True,
                              check=False).stdout
    for prog, src, binary in (("odmagent", "odmagent/main.c", sys.argv[2]),
                              ("odmctl", "odmagent/ctl/odmctl.c", sys.argv[3])):
        words = set()
        for w in re.findall(r'(?<![\w-])(--?[A-Za-z][A-Za-z-]*)', run_help(binary)):
            # a cluster of a usage line, [-dnsv], names each letter
            words |= {"-" + c for c in w[1:]} if re.fullmatch(r'-[A-Za-z]+', w) else {w}
        for o in sorted(getopt_table(src) - words):
            missing.append(f"{prog} option {o}: in {src}, not in {prog} --help")
        helps += 1
    for m in re.finditer(r'(?m)^\.It Cm ([a-z]+)((?: [a-z]+)?)(.*)$', ctl8):
        cmd = [m.group(1)] + ([m.group(2).strip()] if m.group(2) else [])
        page = {"--" + o.replace("\\", "") if len(o) > 1 else "-" + o
                for o in re.findall(r'Fl \\?-?((?:\\-)?[a-z](?:[a-z]|\\-)*)', m.group(3))}
        page = {o for o in page if o not in ("-", "--")}
        usage = run_help(sys.argv[3], *cmd).splitlines()[:1]
        tail = usage[0].split(" ".join(cmd), 1)[1] if usage and " ".join(cmd) in usage[0] else ""
        code = set(re.findall(r'(?<![\w-])(--?[a-z][a-z-]*)', tail)) - {"--"}
        compare(f"odmctl {' '.join(cmd)}: option", code, page,
                "man/odmctl.8 (its .It Cm line)", f"odmctl {' '.join(cmd)} --help")
        helps += 1

if not directives or not commands or not emitted:
    missing.append("could not read the option tables (the patterns above found nothing)")
for m in missing:
    print("missing:", m)
print(f"{len(directives)} directives, {len(commands)} odmctl commands, {len(emitted)} event kinds, "
      f"{len(getopt_table('odmagent/main.c'))} + {len(getopt_table('odmagent/ctl/odmctl.c'))} "
      f"command-line options compared{f', {helps} --help texts' if helps else ''}")
sys.exit(1 if missing else 0)
