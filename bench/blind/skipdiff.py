"""python3 skipdiff.py SUMMARY_JSON REF_OUT: the skips of a build's --summary-json that
differ from ref.py's skips.tsv in REF_OUT.

The summary lists at most LISTED skips per file (README, "Limits": the rest are counted as
`skipped_not_listed`), so the reference's later skips of a file whose list is full are only
counted: their number must be `skipped_not_listed`, and by reason, what `skipped_by_reason`
holds beyond the listed skips."""
import collections
import json
import sys

LISTED = 100  # skip details per file in the summary

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

# The reference's skips beyond the first LISTED of a file (by line) that the build lists in full.
listed = collections.Counter(path for (path, line) in ours if line != 'unrec')
by_file = collections.defaultdict(list)
for (path, line) in ref:
    if line != 'unrec':
        by_file[path].append(line)
not_listed = {(path, line) for path, lines in by_file.items() if listed[path] == LISTED
              for line in sorted(lines)[LISTED:]}

for k in sorted((set(ours) | set(ref)) - not_listed, key=str):
    o = ours.get(k, ('-', ''))
    r = ref.get(k, '-')
    if o[0] != r:
        print(k, 'ours', o[0], '|', o[1][:150], '| ref', r)
for k in sorted(not_listed & set(ours), key=str):
    print(k, 'ours', ours[k][0], '| listed beyond the first', LISTED, 'of its file | ref', ref[k])

# Counts: what the build does not list must still be counted, by reason.
listed_reasons = collections.Counter(reason for (path, line), (reason, _) in ours.items() if line != 'unrec')
hidden_ours = collections.Counter(dict(s['skipped_by_reason'])) - listed_reasons
hidden_ref = collections.Counter(ref[k] for k in not_listed)
if len(not_listed) != s['skipped_not_listed']:
    print(('counts',), 'ours', s['skipped_not_listed'], '| skipped_not_listed | ref', len(not_listed))
for reason in sorted(set(hidden_ours) | set(hidden_ref)):
    if hidden_ours[reason] != hidden_ref[reason]:
        print(('counts', reason), 'ours', hidden_ours[reason], '| not listed | ref', hidden_ref[reason])
print('not listed by us:', s['skipped_not_listed'])
