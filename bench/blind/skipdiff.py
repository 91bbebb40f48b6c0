"""python3 skipdiff.py SUMMARY_JSON REF_OUT: the skips of a build's --summary-json that
differ from ref.py's skips.tsv in REF_OUT."""
import json, sys
summary, ref_out = sys.argv[1], sys.argv[2]
ours = {}
s = json.load(open(summary))
for e in s['skipped']:
    ours[(e['path'], e['line'])] = (e['reason'], e['message'])
for e in s.get('unrecognised', []):
    p = e['path'] if isinstance(e, dict) else e
    ours[(p, 'unrec')] = ('not_recognised', '')
ref = {}
for l in open(f'{ref_out}/skips.tsv'):
    p, line, r = l.rstrip('\n').split('\t')
    ref[(p, int(line) if line.isdigit() else line)] = r
for k in sorted(set(ours) | set(ref), key=str):
    o = ours.get(k, ('-', ''))
    r = ref.get(k, '-')
    if o[0] != r:
        print(k, 'ours', o[0], '|', o[1][:150], '| ref', r)
print('not listed by us:', s['skipped_not_listed'])
