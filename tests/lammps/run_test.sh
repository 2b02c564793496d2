#!/usr/bin/env bash
# LAMMPS input-script tests of cz_build and fix cz/image (ctest lammps.<name>, label lammps).
# Every LAMMPS run is its own cz-lmp process: Debian's LAMMPS exits the process on an error.
#
#   run_test.sh NAME CZ_LMP CZ WORKDIR [MPIRUN]
#
# NAME is an input tests/lammps/in.NAME (checked below by name), or "errors": every
# tests/lammps/errors/in.* must fail with the ERROR text of its "# expect:" line. Inputs get
# -var dir <this directory>. Output: PASS/FAIL lines, then "N passed, N failed".
set -uo pipefail
name=$1
lmp=$2
cz=$3
work=$4/$name
mpirun=${5:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=/usr/bin/python3
compare=("$py" "$here/compare.py")

# Open MPI: containers run as root; two ranks may exceed the cores; no job of a caller's.
unset OMPI_COMM_WORLD_SIZE PMIX_RANK PMI_RANK
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1

rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
passed=0
failed=0
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

# run DIR NP INPUT: cz-lmp on INPUT in DIR with NP ranks (1: no mpirun); output in DIR/out.txt.
run() {
    local dir=$1 np=$2 input=$3
    mkdir -p "$dir"
    local cmd=("$lmp" -in "$input" -var dir "$here" -log none)
    if [ "$np" -gt 1 ]; then
        if [ -z "$mpirun" ]; then
            echo "SKIP: $np ranks: no mpirun (Debian: openmpi-bin)"
            return 2
        fi
        cmd=("$mpirun" -np "$np" "${cmd[@]}")
    fi
    (cd "$dir" && "${cmd[@]}" </dev/null >out.txt 2>&1)
}

# The lines of a run's output that start with "cz-test: KEY" (after the key).
value() { sed -n "s/^cz-test: $2 //p" "$1/out.txt" | head -n1; }

# The files a fix wrote, as a sorted list of steps.
steps_of() { ls "$1" 2>/dev/null | sed -n "s/^$2\.\([0-9]*\)\.h5$/\1/p" | sort -n | tr '\n' ' '; }

# image_matches DIR DUMP STEP H5 EXTRA...: `cz image` on frame STEP of DUMP equals H5.
image_matches() {
    local dir=$1 dump=$2 step=$3 h5=$4
    shift 4
    "${compare[@]}" dump2xyz "$dir/$dump" "$step" "$dir/frame$step.xyz" Au >/dev/null &&
        "$cz" image "$dir/frame$step.xyz" -o "$dir/cz_image.$step.h5" --fftw estimate --wisdom '' \
            "$@" >/dev/null &&
        "${compare[@]}" images "$dir/$h5" "$dir/cz_image.$step.h5" 1e-6
}

case $name in
build)
    "$cz" build "$here/data/au_on_carbon.yaml" --seed 5 -o ref.xyz >/dev/null || bad "cz build"
    for np in 1 2; do
        if run "np$np" "$np" "$here/in.build"; then
            if msg=$("${compare[@]}" atoms "np$np/build.dump" ref.xyz C,Au); then
                ok "$np rank(s): $msg"
            else
                bad "$np rank(s): $msg"
            fi
            groups=$(value "np$np" groups)
            want="cz_particle $(awk 'NR > 2 && $7 == 1' ref.xyz | wc -l) cz_substrate $(awk 'NR > 2 && $7 == 2' ref.xyz | wc -l)"
            [ "$groups" = "$want" ] && ok "$np rank(s): groups $groups" || bad "$np rank(s): groups '$groups', expected '$want'"
            masses=$(value "np$np" masses)
            [ "$masses" = "12.0110 196.9666" ] && ok "masses $masses" || bad "masses '$masses'"
        else
            [ $? -eq 2 ] || bad "$np rank(s): cz-lmp failed: $(grep -m1 ERROR "np$np/out.txt")"
        fi
    done
    # `plugin load` where the system's lmp has the PLUGIN package (Debian's has not).
    plain=$(command -v lmp || true)
    if [ -n "$plain" ] && [ -n "${CZ_LAMMPS_PLUGIN:-}" ] &&
        "$plain" -h 2>/dev/null | sed -n '/^Installed packages/,/^List of/p' | grep -qw PLUGIN; then
        mkdir -p plugin
        printf 'plugin load %s\ninclude %s\n' "$CZ_LAMMPS_PLUGIN" "$here/in.build" >plugin/in.plugin
        if (cd plugin && "$plain" -in in.plugin -var dir "$here" -log none </dev/null >out.txt 2>&1) &&
            msg=$("${compare[@]}" atoms plugin/build.dump ref.xyz C,Au); then
            ok "plugin load: $msg"
        else
            bad "plugin load: $(grep -m1 ERROR plugin/out.txt)"
        fi
    else
        echo "SKIP: plugin load: no lmp with the PLUGIN package here"
    fi
    ;;
build_box)
    spec='{seed: 2, vacuum: 5, objects: [{lattice: {prototype: fcc, elements: Au, a: 4.08}, shape: {sphere: {radius: 6}}, orientation: random, class: particle}]}'
    echo "$spec" >inline.yaml
    "$cz" build inline.yaml -o ref.xyz >/dev/null || bad "cz build"
    n=$(head -n1 ref.xyz)
    if run np1 1 "$here/in.build_box"; then
        if msg=$("${compare[@]}" atoms np1/box.dump ref.xyz Pt,Au --shift -10,-10,-10 --first 1 &&
            "${compare[@]}" atoms np1/box.dump ref.xyz Pt,Au --shift -10,-10,0 --first $((n + 1)) \
                --label-offset 1); then
            ok "$(echo "$msg" | tr '\n' ';')"
        else
            bad "$msg"
        fi
        groups=$(value np1 groups)
        [ "$groups" = "first $n cz_particle $((2 * n)) all $((2 * n))" ] && ok "groups $groups" ||
            bad "groups '$groups' (n = $n)"
    else
        bad "cz-lmp failed: $(grep -m1 ERROR np1/out.txt)"
    fi
    ;;
image_md)
    image_opts=(--sampling 0.25 --defocus 0,40 --cs-mm 1.2 --aperture-mrad 20)
    for np in 1 2; do
        if run "np$np" "$np" "$here/in.image_md"; then
            steps=$(steps_of "np$np/img" md)
            [ "$steps" = "0 10 20 30 " ] && ok "$np rank(s): images at steps $steps" ||
                bad "$np rank(s): images at steps '$steps', expected 0 10 20 30"
            for step in 10 30; do
                if msg=$(image_matches "np$np" md.dump "$step" "img/md.$step.h5" "${image_opts[@]}"); then
                    ok "$np rank(s): step $step: $msg"
                else
                    bad "$np rank(s): step $step: $msg"
                fi
            done
        else
            [ $? -eq 2 ] || bad "$np rank(s): cz-lmp failed: $(grep -m1 ERROR "np$np/out.txt")"
        fi
    done
    ;;
image_min)
    if run np1 1 "$here/in.image_min"; then
        s1=$(value np1 step1)
        s2=$(value np1 step2)
        steps=$(steps_of np1/img min)
        [ -n "$s1" ] && [ "$s2" -gt "$s1" ] && [ "$steps" = "$s1 $s2 " ] &&
            ok "one image per minimize, at its last step: $steps(fix every 1 step)" ||
            bad "images at steps '$steps', minimisations ended at $s1 and $s2"
        for k in 1 2; do
            step=$([ $k -eq 1 ] && echo "$s1" || echo "$s2")
            if msg=$(image_matches np1 "min$k.dump" "$step" "img/min.$step.h5" --sampling 0.25); then
                ok "minimize $k (step $step): $msg"
            else
                bad "minimize $k (step $step): $msg"
            fi
        done
    else
        bad "cz-lmp failed: $(grep -m1 ERROR np1/out.txt)"
    fi
    ;;
errors)
    # One process per case and rank count; they mostly wait on MPI start-up, so four at a time.
    check_error() {
        local input=$1 case=$2 np=$3 expect line rc
        expect=$(sed -n 's/^# expect: //p' "$input" | head -n1)
        run "$case.np$np" "$np" "$input"
        rc=$?
        [ $rc -eq 2 ] && return 0
        line=$(grep -m1 '^ERROR' "$case.np$np/out.txt")
        if [ $rc -ne 0 ] && [[ "$line" == *"$expect"* ]]; then
            echo "PASS: $case ($np rank(s)): $line"
        else
            echo "FAIL: $case ($np rank(s)): exit $rc, expected '$expect', got '${line:-$(tail -n1 "$case.np$np/out.txt")}'"
        fi >"$case.np$np.result"
    }
    jobs_running=0
    for input in "$here"/errors/in.*; do
        case=$(basename "$input")
        case=${case#in.}
        nps=1
        # Errors found on rank 0 only (the scene, the simulator) reach every rank: try 2 ranks.
        case $case in build_missing_file | build_spec_value | image_at_firing) nps="1 2" ;; esac
        for np in $nps; do
            check_error "$input" "$case" "$np" &
            jobs_running=$((jobs_running + 1))
            if [ $jobs_running -ge 4 ]; then
                wait -n
                jobs_running=$((jobs_running - 1))
            fi
        done
    done
    wait
    for result in *.result; do
        cat "$result"
        if grep -q '^PASS' "$result"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    ;;
examples)
    # examples/lammps in a quick setting: a coarse grid, a short anneal.
    ex=$(cd "$here/../../examples/lammps" && pwd)
    quick=(-var dir "$ex" -var sampling 0.3 -var out "$work/ex")
    if (mkdir -p ex1 && cd ex1 && "$lmp" -in "$ex/in.relax_image" "${quick[@]}" -log none \
            </dev/null >out.txt 2>&1); then
        last=$(sed -n 's/^relaxed: .* after \([0-9]*\) steps.*/\1/p' ex1/out.txt)
        steps=$(steps_of ex relax)
        [ "$steps" = "0 $last " ] && ok "in.relax_image: as built and relaxed: steps $steps" ||
            bad "in.relax_image: images at steps '$steps', minimisation ended at '$last'"
    else
        bad "in.relax_image: $(grep -m1 ERROR ex1/out.txt)"
    fi
    if (mkdir -p ex2 && cd ex2 && "$lmp" -in "$ex/in.md_300K" "${quick[@]}" -var equilibrate 100 \
            -var steps 200 -log none </dev/null >out.txt 2>&1); then
        steps=$(steps_of ex md)
        [ "$steps" = "100 200 300 " ] && ok "in.md_300K: snapshots at steps $steps" ||
            bad "in.md_300K: images at steps '$steps'"
    else
        bad "in.md_300K: $(grep -m1 ERROR ex2/out.txt)"
    fi
    ;;
*)
    run np1 1 "$here/in.$name" && ok "$name ran" || bad "$name: $(grep -m1 ERROR np1/out.txt)"
    ;;
esac
finish
