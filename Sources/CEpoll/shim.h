// epoll(7) for HTTPServer's SocketPoller: Glibc's Swift module does not include <sys/epoll.h>.
#ifdef __linux__
#include <sys/epoll.h>
#endif
