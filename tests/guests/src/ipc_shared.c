// Memory and data shared between processes: System V shared memory,
// semaphores and message queues between parent and child; a MAP_SHARED
// file mapping seen by read() in another process (and write() seen
// through the mapping); MAP_SHARED anonymous memory shared with a forked
// child; memfd_create, copy_file_range, sendfile, splice, tee, fallocate.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/sendfile.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_child(pid_t c) {
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sysv_shm(void) {
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    if (id < 0) { printf("shmget failed\n"); return; }
    char *m = shmat(id, NULL, 0);
    if (m == (void *)-1) { printf("shmat failed\n"); return; }
    strcpy(m, "from parent");
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("shm size %lu attached %lu\n", (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch);
    pid_t c = fork();
    if (c == 0) {
        // A second attachment in the child, and the inherited one.
        char *m2 = shmat(id, NULL, SHM_RDONLY);
        printf("child sees: %s / %s\n", m, m2);
        strcpy(m + 5000, "from child");
        shmdt(m2);
        _exit(0);
    }
    wait_child(c);
    printf("parent sees: %s\n", m + 5000);
    printf("shmdt: %d\n", shmdt(m));
    printf("shmdt again: %s\n", shmdt(m) < 0 && errno == EINVAL ? "EINVAL" : "other");
    shmctl(id, IPC_STAT, &ds);
    printf("attached after detach %lu\n", (unsigned long)ds.shm_nattch);
    printf("rmid: %d\n", shmctl(id, IPC_RMID, NULL));
}

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static void sysv_sem(void) {
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    if (id < 0) { printf("semget failed\n"); return; }
    unsigned short init[3] = {0, 5, 9};
    union semun a = {.array = init};
    semctl(id, 0, SETALL, a);
    struct semid_ds ds;
    a.buf = &ds;
    semctl(id, 0, IPC_STAT, a);
    printf("sem nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
    pid_t c = fork();
    if (c == 0) {
        struct sembuf up = {0, 1, 0};
        usleep(20000);
        semop(id, &up, 1);
        _exit(0);
    }
    struct sembuf down = {0, -1, 0};
    printf("semop wait: %d\n", semop(id, &down, 1));
    wait_child(c);
    struct sembuf bad = {1, -6, IPC_NOWAIT};
    printf("semop nowait: %s\n", semop(id, &bad, 1) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
    struct timespec ts = {0, 10000000};
    printf("semtimedop: %s\n", semtimedop(id, &bad, 1, &ts) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
    a.val = 4;
    semctl(id, 2, SETVAL, a);
    unsigned short vals[3];
    a.array = vals;
    semctl(id, 0, GETALL, a);
    printf("values %u %u %u, sem 1 = %d\n", vals[0], vals[1], vals[2], semctl(id, 1, GETVAL));
    printf("rmid: %d\n", semctl(id, 0, IPC_RMID));
}

struct msg { long type; char text[64]; };

static void sysv_msg(void) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (id < 0) { printf("msgget failed\n"); return; }
    pid_t c = fork();
    if (c == 0) {
        struct msg m = {2, "second type"};
        msgsnd(id, &m, strlen(m.text) + 1, 0);
        m.type = 1;
        strcpy(m.text, "first type");
        msgsnd(id, &m, strlen(m.text) + 1, 0);
        _exit(0);
    }
    wait_child(c);
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    printf("queue has %lu messages\n", (unsigned long)ds.msg_qnum);
    struct msg m;
    ssize_t n = msgrcv(id, &m, sizeof m.text, 1, 0);
    printf("msgrcv type 1: %zd \"%s\"\n", n, m.text);
    n = msgrcv(id, &m, sizeof m.text, 0, 0);
    printf("msgrcv any: %zd type %ld \"%s\"\n", n, m.type, m.text);
    n = msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT);
    printf("msgrcv empty: %s\n", n < 0 && errno == ENOMSG ? "ENOMSG" : "other");
    printf("rmid: %d\n", msgctl(id, IPC_RMID, NULL));
}

static void shared_file(void) {
    char path[] = "/tmp/ferrovm-sharedXXXXXX";
    int fd = mkstemp(path);
    ftruncate(fd, 8192);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pid_t c = fork();
    if (c == 0) {
        strcpy(m + 4096, "written through the child's mapping");
        _exit(0);
    }
    wait_child(c);
    char buf[64] = {0};
    pread(fd, buf, sizeof buf - 1, 4096);
    printf("read() sees: %s\n", buf);
    // Another process writes the file; this mapping sees it at once.
    c = fork();
    if (c == 0) {
        int f2 = open(path, O_WRONLY);
        pwrite(f2, "written by write()", 19, 100);
        _exit(0);
    }
    wait_child(c);
    printf("mapping sees: %s\n", m + 100);
    munmap(m, 8192);
    close(fd);
    unlink(path);
}

static void shared_anon(void) {
    int *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *counter = 1;
    for (int i = 0; i < 3; i++) {
        pid_t c = fork();
        if (c == 0) {
            __atomic_fetch_add(counter, 10, __ATOMIC_SEQ_CST);
            _exit(0);
        }
        wait_child(c);
    }
    printf("shared anonymous counter: %d\n", *counter);
    munmap(counter, 4096);
}

static void copies(void) {
    int mfd = memfd_create("ferrovm-test", MFD_CLOEXEC);
    printf("memfd cloexec: %s\n", fcntl(mfd, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
    const char *text = "0123456789abcdefghijklmnopqrstuvwxyz";
    write(mfd, text, strlen(text));
    char path[] = "/tmp/ferrovm-copyXXXXXX", src[] = "/tmp/ferrovm-srcXXXXXX";
    int out = mkstemp(path), in = mkstemp(src);
    write(in, text, strlen(text));
    loff_t in_off = 10, out_off = 0;
    ssize_t n = copy_file_range(in, &in_off, out, &out_off, 16, 0);
    printf("copy_file_range: %zd, offsets %lld %lld\n", n, (long long)in_off, (long long)out_off);
    char buf[64] = {0};
    pread(out, buf, sizeof buf - 1, 0);
    printf("copied: %s\n", buf);
    printf("copy_file_range bad flags: %s\n",
           copy_file_range(mfd, NULL, out, NULL, 1, 1) < 0 && errno == EINVAL ? "EINVAL" : "other");

    int p[2];
    pipe(p);
    off_t off = 26;
    n = sendfile(p[1], mfd, &off, 100);
    memset(buf, 0, sizeof buf);
    read(p[0], buf, sizeof buf - 1);
    printf("sendfile: %zd \"%s\" offset %lld\n", n, buf, (long long)off);

    int q[2];
    pipe(q);
    write(p[1], "spliced data", 12);
    n = tee(p[0], q[1], 100, 0);
    printf("tee: %zd\n", n);
    loff_t soff = 0;
    n = splice(p[0], NULL, out, &soff, 100, 0);
    memset(buf, 0, sizeof buf);
    pread(out, buf, 12, 0);
    printf("splice: %zd \"%s\" offset %lld\n", n, buf, (long long)soff);
    memset(buf, 0, sizeof buf);
    read(q[0], buf, sizeof buf - 1);
    printf("tee copy: \"%s\"\n", buf);
    printf("splice bad offset pointer: %s\n",
           syscall(SYS_splice, p[0], NULL, out, (void *)8, 1, 0) < 0 && errno == EFAULT ? "EFAULT" : "other");

    printf("fallocate: %d\n", fallocate(out, 0, 0, 100000));
    struct stat st;
    fstat(out, &st);
    printf("size after fallocate: %lld\n", (long long)st.st_size);
    printf("fallocate bad length: %s\n", fallocate(out, 0, 0, 0) < 0 && errno == EINVAL ? "EINVAL" : "other");
    close(out);
    unlink(path);
    close(in);
    unlink(src);
    close(mfd);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    sysv_shm();
    sysv_sem();
    sysv_msg();
    shared_file();
    shared_anon();
    copies();
    return 0;
}
