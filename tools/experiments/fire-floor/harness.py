"""Runs one fire script over every due ticket of a loaded redis-server, as one engine pass does,
and prints Redis's CPU per ticket handled. Used by ../fire-floor.sh; see ../README.md.

usage: harness.py PORT SCRIPT.lua NOW_MS
The script gets fire.lua's calling convention (KEYS timers, events; ARGV batch size, now, time
scale epoch and factor, top tier, supervision times); '--@include wake.lua' is expanded.
Shards are driven as the engine drives them: up to 8 calls in flight, a shard called again
while it returns a full batch of due tickets.
"""
import os, socket, sys, time
port = int(sys.argv[1]); script_path = sys.argv[2]; now = sys.argv[3]
lib = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'common', 'lua', 'lib', 'wake.lua')).read()
src = open(script_path).read().replace('--@include wake.lua', lib)
s = socket.create_connection(('127.0.0.1', port))
f = s.makefile('rb')
def enc(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        if isinstance(a, str): a = a.encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)
def read():
    line = f.readline()
    t = line[:1]
    if t == b'+' or t == b':': return line[1:-2]
    if t == b'-': raise Exception(line)
    if t == b'$':
        n = int(line[1:-2]);
        if n < 0: return None
        d = f.read(n + 2); return d[:-2]
    if t == b'*':
        n = int(line[1:-2]); return [read() for _ in range(max(n,0))]
    raise Exception(line)
def call(*a):
    s.sendall(enc(*a)); return read()
sha = call('SCRIPT', 'LOAD', src).decode()
def cpu():
    info = call('INFO', 'cpu').decode()
    d = dict(l.split(':') for l in info.split('\r\n') if ':' in l)
    return float(d['used_cpu_user']) + float(d['used_cpu_sys'])
call('CONFIG', 'RESETSTAT')
c0 = cpu(); t0 = time.time()
handled = 0; events = 0
pending = list(range(256)); inflight = 0; window = 8; calls = 0
def send(shard):
    tag = '{s:%03d}' % shard
    s.sendall(enc('EVALSHA', sha, '2', tag + ':timers', tag + ':events', '200', now, '0', '1', '3', '86400000', '86400000', '86400000'))
queue = []
while pending or queue:
    while pending and len(queue) < window:
        sh = pending.pop(0); send(sh); queue.append(sh)
    sh = queue.pop(0); r = read(); calls += 1
    handled += int(r[0]); events += int(r[1])
    if int(r[0]) == 200 and int(r[2]) <= int(now): pending.append(sh)
t1 = time.time(); c1 = cpu()
stats = call('INFO', 'commandstats').decode()
ev = [l for l in stats.split('\r\n') if l.startswith('cmdstat_evalsha')][0]
usec = int(ev.split('usec=')[1].split(',')[0])
print(f"handled={handled} events={events} calls={calls} wall_s={t1-t0:.3f} redis_cpu_s={c1-c0:.3f} eval_us_per_ticket={usec/max(handled,1):.2f} cpu_us_per_ticket={(c1-c0)*1e6/max(handled,1):.2f}")
