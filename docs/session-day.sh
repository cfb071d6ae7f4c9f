#!/bin/sh
# A whole session day from the command line alone, on the demo session (a drill, 演练):
# `ballot demo` → a published, signed result → a verified audit bundle. tests/test_cli_session.py
# runs this file. Give another drill's short name as $1 to run it there instead.
set -eu
S=${1:-demo}

ballot demo --reset >/dev/null                     # the demo drill, afresh; fresh logins
ballot lock "$S"                                   # 草稿 → 候选名单已锁定: the session key is made
ballot pair-kiosk "$S" --name 投票机1 --mode voting  # type the code at /kiosk on the kiosk
ballot open-checkin "$S"                           # → 签到中
ballot leave "$S" --seat 1排01座 --reason 出差        # 请假
ballot checkin "$S" --seat 1排02座 --reason 忘带代表证  # by hand at the staff desk
# check-in, seal (drill shares), open, vote, close, open the box with the drill shares, count:
ballot simulate "$S" --turnout 0.9 --seed 7 --as chair --no-publish
seed=8
while ballot tie-break "$S" --as chair 2>/dev/null; do  # a tie across the cutoff: 再次投票
  ballot simulate "$S" --seed "$seed" --as chair --no-publish
  seed=$((seed + 1))
done
ballot tally "$S"
ballot confirm "$S" --as scrutineer                # the chief scrutineer's own account
ballot publish "$S" --as chair                     # the chair confirms and publishes
ballot export "$S" --format bundle -o audit-bundle.zip
ballot verify audit-bundle.zip --fingerprint "$(ballot fingerprint "$S")" \
  --box-fingerprint "$(ballot fingerprint "$S" --box)"
