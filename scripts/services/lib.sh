# shellcheck shell=bash
# Sourced by postgres.sh and rabbitmq.sh: where a service keeps this checkout's state.
#
# The servers run as the Debian service users (postgres, rabbitmq), which must be able
# to search every directory above their state. The default is <repo>/var/services. When
# the service user cannot reach it (a clone under a private home directory, /root
# included), the state goes to $FALLBACK_ROOT/<first 16 hex digits of the sha256 of the
# physical repo path>/ instead: root-owned 0711 directories (passable, not listable),
# with each service's own directory owned by its user, mode 0700. Once a checkout has
# state there it keeps using it (until that directory is removed), so start, stop and
# status always agree. An explicit HUB_SERVICES_DIR is used as given, never relocated.
# Directories outside the project are never chmod-ed or chown-ed.
#
# /var/lib rather than /var/tmp: systemd-tmpfiles deletes files in /var/tmp that have
# not been touched for 30 days, which would corrupt an idle cluster, and /var/tmp is
# world-writable, so another local user could plant the directory first.
#
# The caller defines die() and REPO_DIR (physical path) before sourcing this file.

FALLBACK_ROOT=/var/lib/sehub-services
SERVICES_DIR=""
# Why SERVICES_DIR is where it is: explicit, default, private (the service user
# cannot reach the default) or sticky (an earlier start put the state there).
SERVICES_DIR_REASON=""

fallback_dir() {
    local hash
    hash=$(printf '%s' "$REPO_DIR" | sha256sum | cut -c1-16)
    echo "$FALLBACK_ROOT/$hash"
}

# Dies unless we are root or user $1 (the server runs as that user).
require_root_or() {
    [ "$(id -u)" -eq 0 ] || [ "$(id -un)" = "$1" ] ||
        die "the server runs as user '$1'; run this as root (or as '$1')"
}

# Runs a command as user $1 (directly if we are that user), from /.
run_as() {
    local user=$1
    shift
    if [ "$(id -un)" = "$user" ]; then
        (cd / && "$@")
    else
        [ "$(id -u)" -eq 0 ] || die "must run as root or as user '$user'"
        # shellcheck disable=SC2016 # "$@" is expanded by the inner shell
        (cd / && su "$user" -s /bin/sh -c 'exec "$@"' -- sh "$@")
    fi
}

# True if the mode bits let user $1 search directory $2 and every directory above it.
# For when we can neither be nor become that user (ACLs are not considered); a user
# that does not exist yet (package not installed) counts as "other".
mode_bits_allow_search() {
    local user=$1 dir=$2 uid=-1 gids=" " prefix="" part owner group mode digit
    local -a parts
    if id -u "$user" >/dev/null 2>&1; then
        uid=$(id -u "$user")
        gids=" $(id -G "$user") "
    fi
    [ "$uid" != 0 ] || return 0
    IFS=/ read -r -a parts <<<"${dir#/}"
    for part in "" "${parts[@]}"; do
        [ -z "$part" ] || prefix=$prefix/$part
        read -r owner group mode < <(stat -L -c '%u %g %a' "${prefix:-/}") || return 1
        # %a drops leading zeros (055 is "55"); keep the last three octal digits.
        mode=000$mode
        mode=${mode: -3}
        if [ "$owner" = "$uid" ]; then
            digit=${mode:0:1}
        elif [[ $gids == *" $group "* ]]; then
            digit=${mode:1:1}
        else
            digit=${mode:2:1}
        fi
        [ $((digit & 1)) = 1 ] || return 1
    done
}

# True if user $1 may search directory $2 (and so every directory above it).
user_may_search() {
    local user=$1 dir=$2
    if [ "$(id -un)" = "$user" ]; then
        [ -x "$dir" ]
    elif [ "$(id -u)" -eq 0 ] && id -u "$user" >/dev/null 2>&1; then
        # shellcheck disable=SC2016 # $1 is expanded by the inner shell
        su "$user" -s /bin/sh -c 'test -x "$1"' -- sh "$dir"
    else
        mode_bits_allow_search "$user" "$dir"
    fi
}

# The nearest directory at or above $1 that exists.
existing_ancestor() {
    local dir=$1
    while [ ! -e "$dir" ]; do
        dir=$(dirname "$dir")
    done
    echo "$dir"
}

# Sets SERVICES_DIR for the service run by user $1 whose state is $SERVICES_DIR/$2.
# Creates nothing, so stop, status and state-dir can call it too.
resolve_services_dir() {
    local user=$1 name=$2 default=$REPO_DIR/var/services fallback
    if [ -n "${HUB_SERVICES_DIR:-}" ]; then
        case $HUB_SERVICES_DIR in
            /*) SERVICES_DIR=$HUB_SERVICES_DIR ;;
            *) SERVICES_DIR=$PWD/$HUB_SERVICES_DIR ;;
        esac
        SERVICES_DIR_REASON=explicit
        return 0
    fi
    fallback=$(fallback_dir)
    if [ -d "$fallback/$name" ]; then
        SERVICES_DIR=$fallback
        SERVICES_DIR_REASON=sticky
    elif user_may_search "$user" "$(existing_ancestor "$default/$name")"; then
        SERVICES_DIR=$default
        SERVICES_DIR_REASON=default
    else
        SERVICES_DIR=$fallback
        SERVICES_DIR_REASON=private
    fi
}

services_dir_is_fallback() {
    [ "$SERVICES_DIR_REASON" = private ] || [ "$SERVICES_DIR_REASON" = sticky ]
}

# On start: creates the fallback directories if SERVICES_DIR is the fallback, checks
# that nobody else could have planted them, and says where the state is (one line).
prepare_services_dir() {
    local user=$1 name=$2 dir mode recorded
    services_dir_is_fallback || return 0
    if [ "$(id -u)" -ne 0 ] && [ ! -d "$SERVICES_DIR/$name" ]; then
        die "user '$user' cannot reach $REPO_DIR/var/services and only root can create $SERVICES_DIR/$name; run as root, or set HUB_SERVICES_DIR to a directory '$user' can reach"
    fi
    for dir in "$FALLBACK_ROOT" "$SERVICES_DIR"; do
        [ "$(id -u)" -ne 0 ] || [ -d "$dir" ] || mkdir -m 0711 "$dir" 2>/dev/null || [ -d "$dir" ] ||
            die "cannot create $dir"
        mode=$(stat -c '%a' "$dir")
        if [ -L "$dir" ] || [ "$(stat -c '%u' "$dir")" != 0 ] || [ $((8#$mode & 8#022)) != 0 ]; then
            die "$dir must be a directory owned by root and writable by root only; remove it"
        fi
    done
    if [ -s "$SERVICES_DIR/checkout" ]; then
        recorded=$(cat "$SERVICES_DIR/checkout")
        [ "$recorded" = "$REPO_DIR" ] ||
            die "$SERVICES_DIR belongs to the checkout $recorded, not $REPO_DIR; set HUB_SERVICES_DIR"
    elif [ "$(id -u)" -eq 0 ]; then
        # Tells whoever finds the directory which checkout it belongs to.
        printf '%s\n' "$REPO_DIR" >"$SERVICES_DIR/checkout"
    fi
    if [ "$SERVICES_DIR_REASON" = private ]; then
        echo "${0##*/}: user '$user' cannot reach $REPO_DIR/var/services; keeping this checkout's $name state in $SERVICES_DIR/$name" >&2
    else
        echo "${0##*/}: keeping this checkout's $name state in $SERVICES_DIR/$name" >&2
    fi
}

# Fails with a clear message if user $1 cannot reach and write directory $2.
# Directories outside the project are reported, never chmod-ed.
check_reachable() {
    local user=$1 dir=$2 prefix="" part
    local -a parts
    # shellcheck disable=SC2016 # $1 is expanded by the inner shell
    run_as "$user" sh -c 'test -x "$1" && test -w "$1"' sh "$dir" && return 0
    IFS=/ read -r -a parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
        prefix=$prefix/$part
        # shellcheck disable=SC2016
        if ! run_as "$user" sh -c 'test -x "$1"' sh "$prefix"; then
            die "user '$user' cannot traverse $prefix (needed for $dir); set HUB_SERVICES_DIR to a directory it can reach, or leave it unset to let the script choose one"
        fi
    done
    die "user '$user' cannot write to $dir"
}
