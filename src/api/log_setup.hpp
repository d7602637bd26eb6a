// The Agent's logging default (include/lp2p/log.hpp): warnings to standard error unless the
// application chose otherwise before.
#pragma once

namespace lp2p::api {

void ensure_default_logging();

}  // namespace lp2p::api
