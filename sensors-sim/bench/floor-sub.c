/* libmosquitto's receive floor: the smallest subscriber fleetd could be. The same client settings
 * as fleetd (MQTT v5, persistent session, TCP_NODELAY, QoS 1 on fleetd's four topics, libmosquitto's
 * threaded network loop), and a callback that only sums the payload's bytes, so every byte is read
 * once, as fleetd's copy into its spool reads it. Exits after COUNT messages.
 *   floor-sub PORT CLIENT_ID COUNT [NODELAY]   (build: cc -O2 floor-sub.c -lmosquitto)
 * NODELAY 0 leaves Nagle's algorithm on for the acknowledgements (mosquitto_sub's way).
 * With COUNT 0 it subscribes and leaves at once, creating the persistent session for a later drain. */
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long received;
static atomic_int subscribed;
static unsigned long checksum;

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *p) {
    (void)obj; (void)flags; (void)p;
    if (rc != 0) { fprintf(stderr, "floor-sub: connect refused: %d\n", rc); exit(1); }
    char *topics[] = {"fleet/+/telemetry", "fleet/+/fuel", "fleet/+/odometer", "fleet/+/gps"};
    mosquitto_subscribe_multiple(m, NULL, 4, topics, 1, 0, NULL);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted, const mosquitto_property *p) {
    (void)m; (void)obj; (void)mid; (void)n; (void)granted; (void)p;
    atomic_store(&subscribed, 1);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg, const mosquitto_property *p) {
    (void)m; (void)obj; (void)p;
    const unsigned char *b = msg->payload;
    unsigned long s = 0;
    for (int i = 0; i < msg->payloadlen; i++) s += b[i];
    checksum += s + strlen(msg->topic);
    atomic_fetch_add(&received, 1);
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: floor-sub PORT CLIENT_ID COUNT [NODELAY]\n"); return 2; }
    int nodelay = argc == 5 ? atoi(argv[4]) : 1;
    int port = atoi(argv[1]);
    long count = atol(argv[3]);
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(argv[2], false, NULL);
    if (!m) { perror("mosquitto_new"); return 1; }
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, nodelay);
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_subscribe_v5_callback_set(m, on_subscribe);
    mosquitto_message_v5_callback_set(m, on_message);
    mosquitto_property *props = NULL;
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 86400);
    if (mosquitto_connect_bind_v5(m, "127.0.0.1", port, 60, NULL, props) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "floor-sub: cannot connect to 127.0.0.1:%d\n", port);
        return 1;
    }
    mosquitto_loop_start(m);
    /* Bounded: 10 minutes at most. */
    for (int i = 0; i < 600000 && (count == 0 ? !atomic_load(&subscribed) : atomic_load(&received) < count); i++) usleep(1000);
    mosquitto_disconnect_v5(m, 0, NULL);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    mosquitto_property_free_all(&props);
    mosquitto_lib_cleanup();
    fprintf(stderr, "floor-sub: %ld messages (checksum %lu)\n", atomic_load(&received), checksum);
    return count > 0 && atomic_load(&received) < count;
}
