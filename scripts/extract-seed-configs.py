#!/usr/bin/env python3
"""Extracts every keepalived.conf printed in the seed documents into test data.

Usage: extract-seed-configs.py SEEDS_DIR OUT_DIR
Each config runs from its '! Configuration File' / 'global_defs' line to the line closing its
vrrp_instance block. Bytes are kept as printed (no-break spaces and all); the documents'
common indentation is removed.
"""
import os, re, sys

LANG = {'000': 'id', '001': 'zh', '003': 'en', '004': 'pt'}

def blocks(lines):
    i = 0
    while i < len(lines):
        if 'global_defs' in lines[i] and '{' in lines[i]:
            start = i - 1 if i > 0 and lines[i - 1].lstrip(' \t\u00a0').startswith('!') else i
            depth, seen_instance, j = 0, False, i
            while j < len(lines):
                code = lines[j].split('#', 1)[0]
                if 'vrrp_instance' in code:
                    seen_instance = True
                depth += code.count('{') - code.count('}')
                if seen_instance and depth <= 0:
                    break
                j += 1
            yield lines[start:j + 1]
            i = j + 1
        else:
            i += 1

def dedent(block):
    def lead(l):
        return len(l) - len(l.lstrip(' '))
    n = min(lead(l) for l in block if l.strip())
    return [l[n:] if l[:n].strip() == '' else l.lstrip(' ') for l in block]

def main(seeds, out):
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(seeds)):
        lang = LANG.get(name[:3])
        if not lang:
            continue
        text = open(os.path.join(seeds, name), encoding='utf-8').read()
        found = list(blocks(text.split('\n')))
        roles = ('primary', 'secondary') if len(found) > 1 else ('',)
        for role, block in zip(roles, found):
            path = os.path.join(out, f'{lang}-{role}.conf' if role else f'{lang}.conf')
            open(path, 'w', encoding='utf-8').write('\n'.join(dedent(block)) + '\n')
            print(path, len(block), 'lines')

main(sys.argv[1], sys.argv[2])
