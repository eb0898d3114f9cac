/* own_ipc_main.c — prints what its library's ipc_call() returned (own_ipc.c). */
#include <stdio.h>

int own_ipc_result(void);

int main(void)
{
	printf("ipc_call -> %d\n", own_ipc_result());
	return 0;
}
