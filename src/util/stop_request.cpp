#include "wgan/util/stop_request.h"

namespace wgan {

namespace {
thread_local const StopRequest* t_abandon_on = nullptr;
}  // namespace

AbandonOnStop::AbandonOnStop(const StopRequest* request) : previous_(t_abandon_on) { t_abandon_on = request; }

AbandonOnStop::~AbandonOnStop() { t_abandon_on = previous_; }

void abandon_if_stopped() {
  if (t_abandon_on && t_abandon_on->raised()) throw WorkAbandoned();
}

}  // namespace wgan
