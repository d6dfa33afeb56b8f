//! The one write: a Lua script that appends a run's frames (skipping any already there, so a
//! batch sent again after a failure writes nothing twice) and renews or ends its keys, at once.

use std::sync::LazyLock;

use agency_http::agency::Frame;

use crate::keys::RunKeys;

/// KEYS: frames, info, live. ARGV: owner (`""`: unchanged), node, ended (`1`/`0`), live ms,
/// keep ms, max frames, then (id, kind, data) per frame.
const APPEND: &str = r"
if ARGV[1] ~= '' then redis.call('HSET', KEYS[2], 'owner', ARGV[1]) end
local top = 0
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then top = tonumber(string.sub(last[1][1], 3)) end
for i = 7, #ARGV, 3 do
  local id = tonumber(ARGV[i])
  if id > top then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '0-' .. ARGV[i], 'k', ARGV[i + 1], 'd', ARGV[i + 2])
    top = id
  end
end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
else
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[4])
  local ttl = tonumber(ARGV[4]) + tonumber(ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return top
";

static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(APPEND));

/// What one script call writes for one run.
#[derive(Debug, Default)]
pub(crate) struct Call {
    pub owner: Option<String>,
    pub frames: Vec<Frame>,
    pub ended: bool,
}

/// The limits every call carries.
pub(crate) struct Limits {
    pub node: String,
    pub live_ms: u64,
    pub keep_ms: u64,
    pub max_frames: usize,
}

impl Call {
    pub(crate) async fn invoke(
        &self,
        keys: &RunKeys,
        limits: &Limits,
        conn: &mut redis::aio::MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        let mut invocation = SCRIPT.key(&keys.frames);
        invocation
            .key(&keys.info)
            .key(&keys.live)
            .arg(self.owner.as_deref().unwrap_or(""))
            .arg(&limits.node)
            .arg(if self.ended { "1" } else { "0" })
            .arg(limits.live_ms)
            .arg(limits.keep_ms)
            .arg(limits.max_frames);
        for frame in &self.frames {
            invocation
                .arg(frame.id)
                .arg(frame.kind.name())
                .arg(&*frame.data);
        }
        invocation.invoke_async::<()>(conn).await
    }
}
